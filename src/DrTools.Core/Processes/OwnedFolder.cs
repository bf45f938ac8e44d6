using System.Text.Json;

namespace DrTools.Core.Processes;

/// <summary>The file inside a folder DrTools made that proves it made it (a sandbox manifest, a run marker).</summary>
internal static class OwnedFolder
{
    /// <summary>
    /// Makes <paramref name="root"/>/<paramref name="id"/> with its proof already inside: the proof is written into a
    /// staging folder that is then renamed whole, so the folder never exists under its id without what proves it is DrTools'.
    /// </summary>
    /// <param name="what">What <paramref name="root"/> is, for the one line a failure to make a folder there is.</param>
    public static string Create(string root, string id, string what, Action<string> writeProofInto)
    {
        var directory = Path.Combine(root, id);
        var staging = Path.Combine(root, $".{id}.new");
        try
        {
            Directory.CreateDirectory(staging);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFile.Failure("make a folder in", $"{what} {root}", e);
        }
        try
        {
            writeProofInto(staging);
            Directory.Move(staging, directory);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
        ServerAccount.Current.Own(directory);
        return directory;
    }

    /// <summary>The file's JSON, or null with what is wrong with it: missing, unreadable, or not JSON of that shape.</summary>
    public static T? ReadProof<T>(string directory, string fileName, JsonSerializerOptions options, out string? problem) where T : class
    {
        try
        {
            var proof = JsonSerializer.Deserialize<T>(File.ReadAllText(Path.Combine(directory, fileName)), options);
            problem = proof is null ? $"{fileName} is empty" : null;
            return proof;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = $"no {fileName}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            problem = $"{fileName} is unreadable or not DrTools' ({e.Message.Split('\n')[0]})";
        }
        return null;
    }
}
