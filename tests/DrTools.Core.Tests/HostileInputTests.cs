using DrTools.Core.Cluster;
using DrTools.Core.Postgres;
using DrTools.Core.Runbooks;
using DrTools.Core.Secrets;

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
    public void A_name_with_a_line_break_is_refused_where_it_is_written()
    {
        // Printed on a console line of its own, a step named "status\nPASS: forged" showed a PASS line no step made.
        var step = SingleError("name: x\ntargets: { db: { sandbox: { standbys: 0 } } }\nsteps:\n"
            + "  - { name: \"status\\nPASS: forged\", run: Get-DbClusterStatus, with: { target: db } }\n");
        Assert.Equal((4, 13), (step.Position.Line, step.Position.Column));
        Assert.Equal("step 1: name: 'status\\x0APASS: forged' holds a line break; a name is one line.", step.Message);
        var runbook = SingleError("name: \"a\\nb\"\ntargets: { db: { sandbox: { standbys: 0 } } }\n"
            + "steps: [ { run: Get-DbClusterStatus, with: { target: db } } ]\n");
        Assert.Equal("runbook: name: 'a\\x0Ab' holds a line break; a name is one line.", runbook.Message);
        // Every line break a console or an editor starts a line at, and the runbook's type (its report's title) too.
        foreach (var lineBreak in new[] { "\\r", "\\u0085", "\\u2028", "\\u2029" })
        {
            Assert.Contains("holds a line break", SingleError($"name: x\ntype: \"t{lineBreak}PASS\"\ntargets: {{ db: {{ sandbox: {{ standbys: 0 }} }} }}\n"
                + "steps: [ { run: Get-DbClusterStatus, with: { target: db } } ]\n").Message);
        }
        var signer = Assert.Throws<DrToolsException>(() => Runbooks.Reports.ReportSignOff.Sign("no-such-journal", "alice\nApproved by: CISO",
            null, DateTimeOffset.UtcNow));
        Assert.Equal("--reviewer / -Reviewer: 'alice\\x0AApproved by: CISO' holds a line break; a name is one line.", signer.Message);
        var tester = Assert.Throws<DrToolsException>(() => RunEnvironment.Operator("bob\u2028PASS"));
        Assert.Equal("the operator (given with --tester / -Tester): 'bob\\x2028PASS' holds a line break; a name is one line.", tester.Message);
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
    [InlineData("Host=127.0.0.1:0", "member #1: invalid connection string: Host '127.0.0.1:0' names port '0', not a port number (1 to 65535).")]
    [InlineData("Host=:5432", "member #1: invalid connection string: Host ':5432' names no host before its port.")]
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

    /// <summary>Aliases of aliases: 10 levels of 10 make 10^10 nodes from under 1 KB of text.</summary>
    private static string AliasBomb(int levels)
    {
        var lines = new List<string> { "name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var level = 1; level <= levels; level++) lines.Add($"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))}]");
        lines.Add("targets: { db: { sandbox: { standbys: 0 } } }");
        lines.Add("steps: [ { name: S, run: Get-DbClusterStatus, with: { target: db } } ]");
        return string.Join("\n", lines) + "\n";
    }

    [Fact]
    public void A_YAML_alias_bomb_is_refused_where_its_aliases_explode_and_reading_it_is_cancellable()
    {
        var bomb = AliasBomb(10);
        Assert.True(bomb.Length < 1024);
        var error = SingleError(bomb);
        Assert.Equal((6, 45), (error.Position.Line, error.Position.Column));
        Assert.Equal("aliases here expand to more than 100,000 nodes (an alias bomb); a runbook never needs that many.", error.Message);
        Assert.Throws<OperationCanceledException>(() => RunbookParser.Parse(bomb, "hostile.yml", cancellationToken: new CancellationToken(canceled: true)));
        // A few aliases, as runbooks use them, still read.
        Assert.Equal("x", RunbookParser.Parse("name: &n x\ntargets: { db: { sandbox: { standbys: 0 } } }\nsteps: [ { name: *n, run: Get-DbClusterStatus, with: { target: db } } ]\n", "ok.yml").Steps[0].Name);
    }

    [Theory]
    [InlineData("postgresql", "Host=127.0.0.1;Port=abc;Password=S3cret", "target 'db' connection: member #1: invalid connection string: Port 'abc' is not a port number (1 to 65535).")]
    [InlineData("postgresql", "Host=127.0.0.1:abc;Password=S3cret", "target 'db' connection: member #1: invalid connection string: Host '127.0.0.1:abc' names port 'abc', not a port number (1 to 65535).")]
    [InlineData("mariadb", "Server=127.0.0.1:70000", "target 'db' connection: member #1: invalid MariaDB connection string: Host '127.0.0.1:70000' names port '70000', not a port number (1 to 65535).")]
    [InlineData("mariadb", "Server=127.0.0.1;Port=70000", "target 'db' connection: member #1: invalid MariaDB connection string: Port '70000' is not a port number (1 to 65535).")]
    [InlineData("redis", "redis://127.0.0.1:0", "target 'db' connection: member #1: invalid Redis connection string: port 0 is not a port number (1 to 65535).")]
    [InlineData("postgresql", "[\"Host=127.0.0.1;Port=5432\", \"Host=127.0.0.1:0\"]", "target 'db' connection: member #2: invalid connection string: Host '127.0.0.1:0' names port '0', not a port number (1 to 65535).")]
    [InlineData("redis", "Host=127.0.0.1:abc", "target 'db' connection: member #1: invalid Redis connection string: give one Host (and Port separately).")]
    [InlineData("postgresql", "Host=127.0.0.1;Colour=blue", "target 'db' connection: member #1: invalid connection string: Couldn't set colour")]
    [InlineData("mariadb", "Server=127.0.0.1;Port=abc;Password=S3cret", "target 'db' connection: member #1: invalid MariaDB connection string: Invalid value 'abc' for 'Port'")]
    [InlineData("mariadb", "Server=127.0.0.1;Colour=blue", "target 'db' connection: member #1: invalid MariaDB connection string: Option 'colour' not supported.")]
    [InlineData("redis", "Host=127.0.0.1;Port=abc;Password=S3cret", "target 'db' connection: member #1: invalid Redis connection string: Port 'abc' is not a port number (1 to 65535).")]
    [InlineData("redis", "Host=127.0.0.1;Colour=blue", "target 'db' connection: member #1: invalid Redis connection string: unknown keyword 'colour' (Host, Port, Password).")]
    public void Connection_strings_are_read_by_their_engine_when_the_runbook_is_validated(string engine, string connection, string expected)
    {
        // A list's bad member is named by its place among the target's members, where it is written.
        var list = connection.StartsWith('[');
        var value = list ? connection : $"\"{connection}\"";
        var error = SingleError($"name: x\ntargets:\n  db: {{ engine: {engine}, connection: {value} }}\nsteps: [ {{ name: S, run: Get-DbClusterStatus, with: {{ target: db }} }} ]\n");
        Assert.Equal((3, 31 + engine.Length + (list ? connection.IndexOf(", \"", StringComparison.Ordinal) + 2 : 0)),
            (error.Position.Line, error.Position.Column));
        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain("S3cret", error.Message);
    }

    [Theory]
    [InlineData("Host=db;Password=x;Database=expired", "Host=db;Password=***;Database=expired")]
    [InlineData("Server=db; Pwd = x ;User ID=expired", "Server=db; Pwd = ***;User ID=expired")]
    [InlineData("Host=db;Password='a;b''c\"d $(rm -rf) {x}: #';Username=expired", "Host=db;Password=***;Username=expired")]
    [InlineData("Host=db;Password=\"a;b\"\"c\";Username=x", "Host=db;Password=***;Username=x")]
    [InlineData("redis://default:p%40ss;x@127.0.0.1:6379", "redis://default:***@127.0.0.1:6379")]
    [InlineData("postgres://expired:pw@db:5432/app?sslmode=require&password=other", "postgres://expired:***@db:5432/app?sslmode=require&password=***")]
    [InlineData("Host=127.0.0.1:13002;Username=expired", "Host=127.0.0.1:13002;Username=expired")]
    [InlineData("redis//default:TopSecret@host", "redis//default:***@host")]
    [InlineData("default:TopSecret@host:6379", "default:***@host:6379")]
    public void Connection_strings_and_URLs_are_masked_by_their_syntax(string text, string shown) => Assert.Equal(shown, Redaction.ConnectionString(text));

    [Fact]
    public void Text_is_masked_where_it_holds_a_connection_string_and_nowhere_else()
    {
        Assert.Equal("the key expired after 5 s (x of 3)", Redaction.Text("the key expired after 5 s (x of 3)"));
        Assert.Equal("member #1: 'Host=db;Password=***' is wrong; redis://:***@db:6379 too",
            Redaction.Text("member #1: 'Host=db;Password=x' is wrong; redis://:x@db:6379 too"));
        Assert.Equal("http://127.0.0.1:8008/patroni and user@example.org", Redaction.Text("http://127.0.0.1:8008/patroni and user@example.org"));
        Assert.Equal("redis://[default:PASSWORD@]HOST:PORT", Redaction.Text("redis://[default:PASSWORD@]HOST:PORT"));
    }

    [Fact]
    public void A_member_given_as_host_colon_port_is_that_port()
    {
        var member = DbMember.Parse("Host=127.0.0.1:13002;Username=x", 1);
        Assert.Equal(("127.0.0.1", 13002, "127.0.0.1:13002"), (member.Host, member.Port, member.Endpoint));
        var mariaDb = MariaDb.MariaDbMember.Parse("Server=127.0.0.1:13003;User ID=x", 1);
        Assert.Equal(("127.0.0.1", 13003), (mariaDb.Host, mariaDb.Port));
    }
}
