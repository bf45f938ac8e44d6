namespace DrTools.PowerShell.Tests;

/// <summary>The house layout of src/ (.editorconfig): what a contributor reads, held where a review would miss it.</summary>
public sealed class SourceLayoutTests
{
    private const int MaxLineLength = 140;

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Path.Combine(CmdletMetadata.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void No_line_in_src_is_longer_than_the_editorconfig_allows()
    {
        var files = SourceFiles().ToList();
        Assert.NotEmpty(files);
        var longLines = files.SelectMany(f => File.ReadLines(f).Select((line, index) => (File: f, Line: index + 1, line.Length)))
            .Where(l => l.Length > MaxLineLength)
            .Select(l => $"{Path.GetRelativePath(CmdletMetadata.RepositoryRoot, l.File)}:{l.Line} ({l.Length} characters)")
            .ToList();
        Assert.True(longLines.Count == 0, $"lines over {MaxLineLength} characters: {string.Join(", ", longLines.Take(20))}");
    }

    [Fact]
    public void The_editorconfig_says_the_same_line_length()
    {
        var editorConfig = File.ReadAllText(Path.Combine(CmdletMetadata.RepositoryRoot, ".editorconfig"));
        Assert.Contains($"max_line_length = {MaxLineLength}", editorConfig, StringComparison.Ordinal);
    }
}
