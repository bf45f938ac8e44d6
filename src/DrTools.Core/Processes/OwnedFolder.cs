using System.Text.Json;

namespace DrTools.Core.Processes;

/// <summary>The file inside a folder DrTools made that proves it made it (a sandbox manifest, a run marker).</summary>
internal static class OwnedFolder
{
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
