using System.Globalization;
using System.Text.RegularExpressions;
using System.Text.Json;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>Long commands show their phases on stderr: live on a terminal, a line each when redirected, nothing with --json.</summary>
public sealed class ProgressCliTests
{
    private const string Escape = "\u001b";

    [Fact]
    public async Task Phases_are_a_live_line_on_a_terminal_plain_lines_when_redirected_and_nothing_with_json()
    {
        using var root = new TemporaryRoot();
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", "redis", "--standbys", "1", "--root", root.Path);
        Assert.True(up.ExitCode == 0, up.All);
        var id = Path.GetFileName(Assert.Single(root.Sandboxes));
        try
        {
            // Redirected: each phase a plain line as it happens, in order, and not on stdout.
            Assert.Contains("sandbox up: start of the primary (5%)", up.Progress);
            Assert.Contains("sandbox up: start of replica node1", up.Progress);
            Assert.Equal("", up.StandardError.Trim());
            Assert.DoesNotContain("sandbox up:", up.StandardOutput);

            string[] lag = ["lag", "--sandbox", id, "--root", root.Path, "--duration", "2s", "--interval", "500ms"];
            var redirected = await Drtools.RunAsync(lag);
            Assert.True(redirected.ExitCode == 0, redirected.All);
            // A line per sample, in order (how many samples 2 s hold depends on how busy the machine is).
            var samples = redirected.Progress.Split('\n');
            Assert.All(samples, line => Assert.Contains("s  lag: sample at +", line));
            var times = samples.Select(line => Regex.Match(line, @"sample at \+([\d.]+)(ms|s) "))
                .Select(at => double.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture) / (at.Groups[2].Value == "ms" ? 1000 : 1))
                .ToList();
            Assert.Equal(times.Order(), times);
            Assert.DoesNotContain(Escape, redirected.Progress, StringComparison.Ordinal);
            Assert.StartsWith("STANDBY", redirected.StandardOutput);

            // A drill's phases, as Invoke-DbFailover's Write-Progress shows them.
            var switchover = await Drtools.RunAsync("failover", "--sandbox", id, "--root", root.Path, "--mode", "switchover");
            Assert.True(switchover.ExitCode == 0, switchover.All);
            var phases = switchover.Progress.Split('\n');
            Assert.True(phases.Length >= 3 && phases.All(p => p.Contains("s  Switchover of ", StringComparison.Ordinal)), switchover.Progress);
            Assert.Equal("", switchover.StandardError.Trim());

            var json = await Drtools.RunAsync([.. lag, "--json"]);
            Assert.True(json.ExitCode == 0, json.All);
            Assert.Equal("", json.Progress + json.StandardError.Trim());
            Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(json.StandardOutput).RootElement.ValueKind);

            // A terminal: one status line redrawn in place (carriage return, erase line), never the plain lines, cleared
            // before the result is printed.
            var screen = await Drtools.RunOnTerminalAsync(TimeSpan.FromSeconds(60), lag);
            Assert.Contains($"\r{Escape}[2K", screen, StringComparison.Ordinal);
            Assert.Matches(@"\r\u001b\[2K. lag: sample at \+[^\r]+\(\d+%\)  \d+\.\ds", screen);
            Assert.DoesNotMatch(@"(?m)^  \+\d+\.\ds  lag:", screen);
            var afterStatus = screen[(screen.LastIndexOf($"{Escape}[2K", StringComparison.Ordinal) + 4)..];
            Assert.StartsWith("STANDBY", afterStatus);
        }
        finally
        {
            var down = await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path);
            Assert.True(down.ExitCode == 0, down.All);
        }
        root.AssertNothingLeft();
    }
}
