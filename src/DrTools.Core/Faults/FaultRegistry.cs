using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Faults;

/// <summary>
/// The active faults of this machine, one JSON file each, in a folder every DrTools process of the user shares
/// (DRTOOLS_FAULT_STATE, else /run/drtools/faults for root, else the user's runtime folder). A record is written before
/// its fault is applied and deleted only after its undo, so a fault never outlives its record.
/// </summary>
public static class FaultRegistry
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public static string Folder =>
        Environment.GetEnvironmentVariable("DRTOOLS_FAULT_STATE") is { Length: > 0 } configured ? configured
        : Environment.IsPrivilegedProcess ? "/run/drtools/faults"
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime ? runtime : Path.GetTempPath(),
            $"drtools-faults-{Environment.UserName}");

    public static IReadOnlyList<FaultRecord> List()
    {
        if (!Directory.Exists(Folder)) return [];
        var records = new List<FaultRecord>();
        foreach (var file in Directory.EnumerateFiles(Folder, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<FaultRecord>(File.ReadAllText(file), Json) is { } record) records.Add(record);
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                // Being written or removed by another process right now: it is that process's to report.
            }
        }
        return [.. records.OrderBy(r => r.StartedAt)];
    }

    public static FaultRecord Find(string id) =>
        List().FirstOrDefault(r => r.Id == id)
        ?? throw new DrToolsException($"no active fault '{id}' (drtools fault list / Get-DrFault shows them).",
            DrErrorKind.InvalidArgument);

    public static void Save(FaultRecord record)
    {
        AtomicFile.MakeFolder(Folder, "the fault-state folder (DRTOOLS_FAULT_STATE)");
        AtomicFile.Write(PathOf(record.Id), JsonSerializer.Serialize(record, Json));
    }

    /// <summary>Deletes an undone fault's record, or says in one line why it stays (its disk turned read-only).</summary>
    public static void Remove(string id)
    {
        try
        {
            File.Delete(PathOf(id));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DrToolsException($"{id} is undone, but its record stays: {AtomicFile.Failure("remove", PathOf(id), e).Message} " +
                "Delete it once that is fixed; until then fault list shows it.", DrErrorKind.InvalidOperation, e);
        }
    }

    private static string PathOf(string id) => Path.Combine(Folder, $"{id}.json");
}
