using DrTools.Core.Cluster;
using DrTools.Core.Postgres;
using DrTools.Core.Runbooks;

namespace DrTools.Core.Tests;

/// <summary>Malformed and hostile input: one clear error naming the input and where it is wrong, never a crash.</summary>
public sealed class HostileInputTests
{
    private static RunbookError SingleError(string text)
    {
        var error = Assert.Throws<RunbookInvalidException>(() => RunbookParser.Parse(text, "hostile.yml"));
        return Assert.Single(error.Errors);
    }

    [Fact]
    public void A_runbook_nested_30000_levels_deep_is_one_error_not_a_stack_overflow()
    {
        var error = SingleError(new string('[', 30_000));
        Assert.Equal((1, 65), (error.Position.Line, error.Position.Column));
        Assert.Contains("nested more than 64 levels deep", error.Message);
        Assert.Contains("nested", SingleError("name: x\nsteps:\n" + string.Concat(Enumerable.Repeat("- ", 100)) + "a\n").Message);
    }

    [Fact]
    public void Huge_binary_and_tab_indented_runbooks_are_refused_at_the_place_that_is_wrong()
    {
        Assert.Contains("a runbook has at most 1,048,576", SingleError("name: x\n#" + new string('x', 1 << 20)).Message);

        var binary = SingleError("name: x\nsteps: []\n\u0001\u0002garbage");
        Assert.Equal((3, 1), (binary.Position.Line, binary.Position.Column));
        Assert.StartsWith("not a text file", binary.Message);

        var tab = SingleError("name: x\nsteps:\n\t- name: a\n");
        Assert.Equal((3, 1), (tab.Position.Line, tab.Position.Column));
        Assert.Contains("a tab indents this line", tab.Message);

        var key = SingleError("name: x\n[a, b]: c\nsteps: []\n");
        Assert.Equal(2, key.Position.Line);
        Assert.Contains("a key must be a plain word", key.Message);
    }

    [Theory]
    [InlineData("timeout: 99999999999999h", "step 1 'Wait' timeout: 99999999999999h is out of range")]
    [InlineData("timeout: 0", "step 1 'Wait' timeout: 0ms is out of range; give more than 0")]
    [InlineData("timeout: 0s", "step 1 'Wait' timeout: 0ms is out of range")]
    [InlineData("timeout: -5s", "is not a duration")]
    [InlineData("timeout: 25d", "is not a duration")]
    public void Step_timeouts_out_of_range_are_refused_by_validation(string timeout, string expected)
    {
        var error = SingleError($$"""
            name: Drill
            targets: { db: { sandbox: { standbys: 1 } } }
            steps:
              - { name: Wait, run: Get-DbClusterStatus, with: { target: db }, {{timeout}} }
            """);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("objectives: { rto: 99999999999999h }", "objectives.rto: 99999999999999h is out of range; give 0 to 8784h (366 days)")]
    [InlineData("objectives: { rpo: 10000h }", "objectives.rpo: 10000h is out of range")]
    public void Objectives_out_of_range_are_refused(string objectives, string expected)
    {
        var error = SingleError($"name: Drill\n{objectives}\ntargets: {{ db: {{ sandbox: {{ standbys: 1 }} }} }}\nsteps:\n  - {{ name: S, run: Get-DbClusterStatus, with: {{ target: db }} }}\n");
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("targetTime: \"2026-11-24 08:05:12\"", "has no time zone; add one")]
    [InlineData("targetTime: \"yesterday\"", "is not a timestamp")]
    [InlineData("targetXid: -5", "-5 is out of range; give 3 to 4294967295")]
    [InlineData("targetXid: 99999999999", "is out of range")]
    public void Recovery_targets_are_refused_up_front_when_ambiguous_or_impossible(string argument, string expected)
    {
        var error = SingleError($$"""
            name: PITR
            targets: { db: { sandbox: { standbys: 0 } } }
            steps:
              - { name: Restore, run: Restore-PointInTime, with: { repository: /tmp/r, {{argument}} } }
            """);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Remove_DrSandbox_of_a_connection_target_is_refused_by_validation()
    {
        var error = SingleError("""
            name: Drill
            targets:
              prod: { connection: "Host=db1;Username=x" }
            steps:
              - { name: S, run: Get-DbClusterStatus, with: { target: prod } }
            cleanup:
              - { name: Remove, run: Remove-DrSandbox, with: { target: prod } }
            """);
        Assert.Equal(7, error.Position.Line);
        Assert.Contains("'prod' is not a sandbox target; Remove-DrSandbox removes only sandboxes", error.Message);
    }

    [Fact]
    public void A_folder_given_as_a_runbook_is_named_as_a_folder()
    {
        var folder = Directory.CreateTempSubdirectory("drtools-runbook-").FullName;
        try
        {
            var error = Assert.Throws<DrToolsException>(() => RunbookParser.Load(folder));
            Assert.Equal($"{folder}: is a folder; give the runbook's file (e.g. {folder}/runbook.yml).", error.Message);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Theory]
    [InlineData("99999999999999h", "duration: 99999999999999h is out of range; give 0 to 576h (24 days).")]
    [InlineData("-1s", "duration: '-1s' is not a duration; write 250ms, 30s, 5m, 1h, 00:00:30, or a number of seconds.")]
    [InlineData("-00:00:05", "duration: -5s is out of range; give 0 to 576h (24 days).")]
    [InlineData("9999999999999999999999s", "duration: '9999999999999999999999s' is not a duration; write 250ms, 30s, 5m, 1h, 00:00:30, or a number of seconds.")]
    public void Durations_are_range_checked_with_one_line(string text, string expected) =>
        Assert.Equal(expected, Assert.Throws<DrToolsException>(() => DurationText.Parse(text, "duration")).Message);

    [Fact]
    public void Durations_in_every_form_parse()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), DurationText.Parse("250ms", "d"));
        Assert.Equal(TimeSpan.FromSeconds(30), DurationText.Parse("30s", "d"));
        Assert.Equal(TimeSpan.FromMinutes(5), DurationText.Parse("5m", "d"));
        Assert.Equal(TimeSpan.FromHours(1), DurationText.Parse("1h", "d"));
        Assert.Equal(TimeSpan.FromSeconds(30), DurationText.Parse("00:00:30", "d"));
        Assert.Equal(TimeSpan.FromSeconds(2), DurationText.Parse("2", "d"));
        Assert.Equal(TimeSpan.FromDays(30), DurationText.Parse("720h", "d", DurationText.MaxAge));
        Assert.Throws<DrToolsException>(() => DurationText.FromSeconds(double.NaN, "d"));
        Assert.Throws<DrToolsException>(() => DurationText.FromSeconds(1e300, "d"));
    }

    [Fact]
    public void Timestamps_need_a_zone_and_keep_the_one_given()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 5, 12, TimeSpan.FromHours(1)), TimestampText.Parse("2026-11-24 08:05:12+01", "t"));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 5, 12, TimeSpan.Zero), TimestampText.Parse("2026-11-24T08:05:12Z", "t"));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 5, 12, 500, TimeSpan.FromHours(-5)), TimestampText.Parse("2026-11-24 08:05:12.5-05:00", "t"));
        var error = Assert.Throws<DrToolsException>(() => TimestampText.Parse("2026-11-24 08:00:00", "--time"));
        Assert.Equal("--time: '2026-11-24 08:00:00' has no time zone; add one, e.g. 2026-11-22 08:05:12+00, 2026-11-22T08:05:12.5+01:00, 2026-11-22 08:05:12Z.", error.Message);
        Assert.Contains("not a valid time", Assert.Throws<DrToolsException>(() => TimestampText.Parse("2026-02-30 08:00:00+00", "t")).Message);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=70000", "member #1: invalid connection string: Port '70000' is not a port number (1 to 65535).")]
    [InlineData("Host=127.0.0.1;Port=-5;Password=S3cret", "member #1: invalid connection string: Port '-5' is not a port number (1 to 65535).")]
    [InlineData("Host=127.0.0.1;Port=abc", "member #1: invalid connection string: Port 'abc' is not a port number (1 to 65535).")]
    public void Ports_out_of_range_are_invalid_input_in_one_line(string connectionString, string expected)
    {
        var error = Assert.Throws<DrToolsException>(() => DbMember.Parse(connectionString, 1));
        Assert.Equal(expected, error.Message);
        Assert.Equal(DrErrorKind.InvalidArgument, error.Kind);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("node1", 1)]
    [InlineData("ANY 2 (node1, node2, node3)", 2)]
    [InlineData("FIRST 1 (\"node 1\", node2)", 1)]
    [InlineData("2 (a, b)", 2)]
    [InlineData("*", 1)]
    public void Synchronous_standby_names_say_how_many_standbys_must_confirm(string setting, int required) =>
        Assert.Equal(required, SyncStandbyNames.RequiredCount(setting));

    [Fact]
    public void After_a_failover_the_old_primary_takes_the_promoted_standbys_place_in_synchronous_standby_names()
    {
        Assert.Equal("ANY 1 (node0)", SyncStandbyNames.ReplaceName("ANY 1 (node1)", "node1", "node0"));
        Assert.Equal("ANY 1 (node0, node2)", SyncStandbyNames.ReplaceName("ANY 1 (node1, node2)", "node1", "node0"));
        Assert.Equal("FIRST 1 (node10, node0)", SyncStandbyNames.ReplaceName("FIRST 1 (node10, \"NODE1\")", "node1", "node0"));
        Assert.Equal("ANY 1 (\"127.0.0.1:5432\")", SyncStandbyNames.ReplaceName("ANY 1 (node1)", "node1", "127.0.0.1:5432"));
        Assert.True(SyncStandbyNames.Names("ANY 1 (node0, node2)", "node2"));
        Assert.False(SyncStandbyNames.Names("ANY 1 (node0, node2)", "node20"));
        Assert.True(SyncStandbyNames.Names("*", "anything"));
    }
}
