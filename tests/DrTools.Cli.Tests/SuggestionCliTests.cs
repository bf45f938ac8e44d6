namespace DrTools.Cli.Tests;

/// <summary>A typo gets one line naming it and the nearest option, command or value (exit 2), never a cascade or a type name.</summary>
public sealed class SuggestionCliTests
{
    [Theory]
    [InlineData("drtools: unknown option '--mdoe' for 'drtools failover'; did you mean '--mode'?",
        "failover", "--mdoe", "failover")]
    [InlineData("drtools: unknown command 'fialover' for 'drtools'; did you mean 'failover'?", "fialover")]
    [InlineData("drtools: unknown option '--sentinel' for 'drtools sandbox up'; did you mean '--sentinels'?",
        "sandbox", "up", "--engine", "redis", "--sentinel")]
    [InlineData("drtools: unknown option '--sentinel' for 'drtools failover'; '--sentinels' is an option of 'drtools sandbox up'.",
        "failover", "--sentinel")]
    [InlineData("drtools: --mode: 'failvoer' is not one of switchover or failover; did you mean 'failover'?",
        "failover", "--mode", "failvoer")]
    [InlineData("drtools: --engine: 'redi' is not one of mariadb, postgresql or redis; did you mean 'redis'?",
        "sandbox", "up", "--engine", "redi")]
    [InlineData("drtools: unknown command 'lst' for 'drtools sandbox'; did you mean 'list'?", "sandbox", "lst")]
    [InlineData("drtools: 'drtools sandbox' needs a command: up, down or list.", "sandbox")]
    [InlineData("drtools: unknown command 'verify' for 'drtools'; did you mean 'drtools backup verify'?", "verify", "--backup", "x")]
    [InlineData("drtools: unknown command 'sgin' for 'drtools report'; did you mean 'sign'?", "report", "sgin", "/tmp/run")]
    [InlineData("drtools: unexpected argument '/tmp/b' for 'drtools report'; 'drtools report --help' lists what it takes.",
        "report", "/tmp/a", "/tmp/b")]
    [InlineData("drtools: unknown option '--zzzz' for 'drtools lag'; 'drtools lag --help' lists its options.", "lag", "--zzzz")]
    public async Task A_typo_gets_one_line_with_the_nearest_word_and_exit_2(string expected, params string[] arguments)
    {
        var result = await Drtools.RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.All);
        Assert.Equal(expected, result.StandardError.TrimEnd('\n'));
        Assert.Equal("", result.StandardOutput);
    }

    [Theory]
    [InlineData("--mdoe", "--mode")]
    [InlineData("--sentinels", "--sentinels")]
    [InlineData("--stand", "--standbys")]
    [InlineData("--qqqqqq", null)]
    public void Nearest_takes_swaps_as_one_edit_and_a_unique_beginning(string typed, string? expected) =>
        Assert.Equal(expected, ParseErrorText.Nearest(typed, ["--mode", "--sentinels", "--standbys", "--synchronous"]));
}
