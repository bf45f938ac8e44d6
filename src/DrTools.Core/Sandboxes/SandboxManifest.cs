using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Sandboxes;

public sealed record SandboxMember(string Name, int Port, string DataDirectory, string LogFile);

/// <summary>
/// What a sandbox is made of, kept as sandbox.json in its directory (readable by its creator only, since it holds the
/// sandbox's password) and rewritten as members are added, so a sandbox whose creator was killed can still be found and removed.
/// </summary>
internal sealed record SandboxManifest(
    string Id,
    string Directory,
    DateTimeOffset CreatedAt,
    int? OwnerPid,
    bool Synchronous,
    string UserName,
    string Password,
    string BinDirectory,
    int MajorVersion,
    string ArchiveDirectory,
    IReadOnlyList<SandboxMember> Members)
{
    public const string FileName = "sandbox.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public void Save()
    {
        var path = Path.Combine(Directory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }

    public static SandboxManifest? TryLoad(string directory)
    {
        try
        {
            return JsonSerializer.Deserialize<SandboxManifest>(File.ReadAllText(Path.Combine(directory, FileName)), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
