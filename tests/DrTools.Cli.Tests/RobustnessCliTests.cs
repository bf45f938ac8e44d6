using System.CommandLine;
using System.Text.Json;
using DrTools.Cli;
using DrTools.Core;
using DrTools.Core.Processes;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>What an independent tester broke: data loss by cleanup, crashes on bad input, what a killed run leaves.</summary>
public sealed class RobustnessCliTests
{
    /// <summary>A home-like folder full of someone's files, used as the sandbox folder.</summary>
    private static string[] FillWithForeignFolders(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, ".ssh"));
        File.WriteAllText(Path.Combine(root, ".ssh", "id_ed25519"), "secret key");
        Directory.CreateDirectory(Path.Combine(root, "Documents"));
        File.WriteAllText(Path.Combine(root, "Documents", "notes.txt"), "notes");
        Directory.CreateDirectory(Path.Combine(root, "garbage"));
        File.WriteAllText(Path.Combine(root, "garbage", "sandbox.json"), "{ not json");
        // A manifest of the right shape that DrTools did not write for this folder (copied, or forged to reach other files).
        Directory.CreateDirectory(Path.Combine(root, "forged"));
        File.WriteAllText(Path.Combine(root, "forged", "sandbox.json"), $$"""
            { "id": "forged", "directory": "{{root}}/forged", "creator": "drtools-sandbox/1", "synchronous": false, "userName": "x", "password": "x",
              "binDirectory": "/usr/lib/postgresql/15/bin", "majorVersion": 15, "archiveDirectory": "{{root}}/forged/archive", "createdAt": "2026-11-24T00:00:00Z",
              "members": [ { "name": "node0", "port": 5432, "dataDirectory": "/var/lib/postgresql/15/main", "logFile": "{{root}}/forged/x.log" } ] }
            """);
        return [".ssh", "Documents", "garbage", "forged"];
    }

    [Fact]
    public async Task Down_all_and_down_by_name_never_touch_a_folder_DrTools_did_not_make()
    {
        using var root = new TemporaryRoot();
        using var runs = new TemporaryRoot();
        var foreign = FillWithForeignFolders(root.Path);
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = root.Path, ["DRTOOLS_RUNS_ROOT"] = runs.Path };
        var up = await Drtools.RunAsync(environment, "sandbox", "up", "--standbys", "0", "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var id = JsonDocument.Parse(up.StandardOutput).RootElement.GetProperty("id").GetString()!;

        var list = await Drtools.RunAsync(environment, "sandbox", "list", "--json");
        var listed = JsonDocument.Parse(list.StandardOutput).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("state").GetString());
        Assert.Equal("running", listed[id]);
        foreach (var name in foreign) Assert.Equal("notASandbox", listed[name]);
        var table = await Drtools.RunAsync(environment, "sandbox", "list");
        Assert.Contains("not-a-sandbox", table.StandardOutput);

        var byName = await Drtools.RunAsync(environment, "sandbox", "down", "Documents");
        Assert.Equal(2, byName.ExitCode);
        Assert.Equal($"drtools: {root.Path}/Documents is not a DrTools sandbox (no sandbox.json): left untouched", byName.StandardError.Trim());

        var all = await Drtools.RunAsync(environment, "sandbox", "down", "--all");
        Assert.True(all.ExitCode == 0, all.All);
        Assert.Contains($"removed sandbox {id}", all.StandardOutput);
        foreach (var name in foreign) Assert.Contains($"skipped {name}: {root.Path}/{name} is not a DrTools sandbox", all.StandardOutput);
        Assert.Contains($"skipped forged: {root.Path}/forged is not a DrTools sandbox (sandbox.json names files outside {root.Path}/forged)", all.StandardOutput);
        Assert.True(File.Exists(Path.Combine(root.Path, ".ssh", "id_ed25519")));
        Assert.True(File.Exists(Path.Combine(root.Path, "Documents", "notes.txt")));
        Assert.Equal(foreign.Order(StringComparer.Ordinal), Directory.GetDirectories(root.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(ProcessTable.FindByWorkingDirectory(root.Path));
    }

    [Fact]
    public async Task A_SIGKILLed_run_is_found_listed_marked_killed_in_the_history_and_removed_by_down_all()
    {
        using var root = new TemporaryRoot();
        using var runs = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var file = Drtools.WriteLongRunbook(history.Path, "Killed drill");
        var journals = Path.Combine(history.Path, "history");
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = root.Path, ["DRTOOLS_RUNS_ROOT"] = runs.Path, ["DRTOOLS_HISTORY"] = journals };
        using var process = Drtools.Start(environment, "run", file);
        await Drtools.WaitForFirstStepAsync(journals);
        Drtools.Signal(process, Drtools.SigKill);
        await process.WaitForExitAsync();

        var list = JsonDocument.Parse((await Drtools.RunAsync(environment, "sandbox", "list", "--json")).StandardOutput).RootElement.EnumerateArray()
            .Select(e => (Kind: e.GetProperty("kind").GetString(), State: e.GetProperty("state").GetString())).Order().ToList();
        Assert.Equal([("cluster", "orphaned"), ("runScratch", "orphaned")], list);
        var killed = await Drtools.RunAsync(environment, "history");
        Assert.Matches(@"Killed drill .* killed \d{4}-", killed.StandardOutput);

        var down = await Drtools.RunAsync(environment, "sandbox", "down", "--all");
        Assert.True(down.ExitCode == 0, down.All);
        Assert.Contains($"removed the scratch folder of killed run {Drtools.OnlyJournal(journals)!.Id} and marked its journal killed", down.StandardOutput);
        var journal = Drtools.OnlyJournal(journals)!;
        Assert.Equal(RunStatus.Killed, journal.Status);
        Assert.Contains("was killed or crashed", journal.AbortReason);
        root.AssertNothingLeft();
        runs.AssertNothingLeft();
    }

    [Theory]
    [InlineData(Drtools.SigInt, "PG_VERSION")]
    [InlineData(Drtools.SigTerm, "postmaster.pid")]
    [InlineData(Drtools.SigKill, "postmaster.pid")]
    public async Task A_backup_verification_interrupted_while_extracting_or_recovering_leaves_nothing(int signal, string phaseMarker)
    {
        using var root = new TemporaryRoot();
        using var restores = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        Assert.Equal(0, (await Drtools.RunAsync("backup", "archive", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository)).ExitCode);
        await Sql.ExecuteAsync(sandbox, "node0", "create table ledger as select g as id, md5(g::text) as memo from generate_series(1, 200000) g");
        var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository);
        Assert.True(create.ExitCode == 0, create.All);

        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = restores.Path };
        using var verify = Drtools.Start(environment, "backup", "verify", "--repository", repository);
        await Polling.RequireAsync(() => Task.FromResult(Directory.GetDirectories(restores.Path).Any(d => File.Exists(Path.Combine(d, "restored", phaseMarker)))),
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10), () => $"the verification never reached {phaseMarker}", CancellationToken.None);
        Drtools.Signal(verify, signal);
        var result = await Drtools.CompleteAsync(verify, TimeSpan.FromSeconds(60));

        if (signal == Drtools.SigKill)
        {
            // Nothing could clean up: the instance is an orphan that down --all finds and removes.
            var down = await Drtools.RunAsync(environment, "sandbox", "down", "--all");
            Assert.True(down.ExitCode == 0, down.All);
            Assert.Contains("removed sandbox", down.StandardOutput);
        }
        else
        {
            Assert.True(result.ExitCode == 130, result.All);
            Assert.Contains("cancelled; everything it had started was stopped and removed", result.StandardError);
        }
        restores.AssertNothingLeft();
    }

    [Theory]
    [InlineData(new[] { "restore", "--repository", "/tmp/none", "--time", "2026-11-24 08:00:00" }, "drtools: --time: '2026-11-24 08:00:00' has no time zone; add one")]
    [InlineData(new[] { "restore", "--repository", "/tmp/none", "--xid", "-5" }, "drtools: --xid: -5 is out of range; give 3 to 4294967295.")]
    [InlineData(new[] { "lag", "--sandbox", "x", "--max-lag", "99999999999999h" }, "drtools: --max-lag: 99999999999999h is out of range; give 0 to 8784h (366 days).")]
    [InlineData(new[] { "status", "--member", "Host=127.0.0.1;Port=70000" }, "drtools: member #1: invalid connection string: Port '70000' is not a port number (1 to 65535).")]
    [InlineData(new[] { "status", "--member", "Host=127.0.0.1;Port=-5" }, "drtools: member #1: invalid connection string: Port '-5' is not a port number (1 to 65535).")]
    [InlineData(new[] { "validate", "/tmp" }, "drtools: /tmp: is a folder; give the runbook's file")]
    [InlineData(new[] { "failover", "--member", "Host=127.0.0.1;Port=5432", "--patroni", "db1:8008" }, "drtools: Patroni REST API 'db1:8008': write it as http://HOST:PORT")]
    [InlineData(new[] { "failover", "--member", "Host=127.0.0.1;Port=5432", "--recovered-by", "patroni" }, "drtools: recovered by Patroni: 127.0.0.1:5432 is neither a Patroni sandbox")]
    public async Task Bad_input_found_by_the_tester_is_one_line_and_exit_code_2(string[] arguments, string expected)
    {
        var result = await Drtools.RunAsync(arguments);
        Assert.True(result.ExitCode == 2, result.All);
        Assert.StartsWith(expected, result.StandardError);
        Assert.DoesNotContain("   at ", result.All);
        Assert.Single(result.StandardError.Trim().Split('\n'));
    }

    /// <summary>Every option that takes a number or a duration, found by walking the command tree: a new option is covered without a new test.</summary>
    public static TheoryData<string[], string, string> OutOfRangeValues()
    {
        var data = new TheoryData<string[], string, string>();
        void Walk(Command command, string[] path)
        {
            foreach (var option in command.Options)
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                string[] values = type == typeof(TimeSpan) ? ["99999999999999h", "-1s", "NaN"]
                    : type == typeof(double) ? ["-1", "NaN", "Infinity", "1e308"]
                    : type == typeof(int) ? ["-1", int.MaxValue.ToString(), "99999999999"]
                    : type == typeof(long) ? ["-1", long.MaxValue.ToString()]
                    : [];
                foreach (var value in values) data.Add(path, option.Name, value);
            }
            foreach (var sub in command.Subcommands) Walk(sub, [.. path, sub.Name]);
        }
        Walk(DrtoolsCommand.Create(), []);
        return data;
    }

    [Theory]
    [MemberData(nameof(OutOfRangeValues))]
    public void Every_number_and_duration_option_refuses_out_of_range_values_at_parse_time(string[] command, string option, string value)
    {
        var parse = DrtoolsCommand.Create().Parse([.. command, option, value]);
        Assert.Contains(parse.Errors, e => e.Message.Contains(option, StringComparison.Ordinal));
    }

    [Fact]
    public void The_walk_finds_the_options_it_must_cover() =>
        Assert.Superset(new HashSet<string>
            {
                "--max-lag", "--connect-timeout", "--rto", "--max-age", "--xid", "--standbys", "--probe-rate", "--probe-clients",
                "--max-lag-bytes", "--phase-timeout", "--interval",
            },
            OutOfRangeValues().Select(row => (string)row[1]).ToHashSet());

    [Fact]
    public void A_probe_rate_that_the_clients_together_would_pass_1000_per_second_is_refused_at_parse_time_naming_both()
    {
        // The rate is each client's: 300/s for the default 4 clients is 1200/s; for 3 clients it is 900/s.
        var refused = DrtoolsCommand.Create().Parse(["failover", "--sandbox", "x", "--probe-rate", "300"]);
        Assert.Contains(refused.Errors, e => e.Message.StartsWith("--probe-rate 300 for each of --probe-clients 4 is 1200 attempts",
            StringComparison.Ordinal));
        Assert.Empty(DrtoolsCommand.Create().Parse(["failover", "--sandbox", "x", "--probe-rate", "300", "--probe-clients", "3"]).Errors);
    }

    /// <summary>A password full of shell and YAML metacharacters, written in a connection string as its syntax quotes it.</summary>
    private const string HostilePassword = "p;a'ss\"w0rd $(touch /tmp/pwned) `id` {x: [y]} #&|*!";
    private static readonly string QuotedHostilePassword = "'" + HostilePassword.Replace("'", "''", StringComparison.Ordinal) + "'";

    [Fact]
    public async Task A_password_is_in_no_output_of_status_or_of_a_runbook_run_while_words_that_contain_it_stay_whole()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", "redis", "--standbys", "0", "--root", root.Path, "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var sandbox = JsonDocument.Parse(up.StandardOutput).RootElement;
        var id = sandbox.GetProperty("id").GetString()!;
        var port = sandbox.GetProperty("members")[0].GetProperty("port").GetInt32();
        try
        {
            var outputs = new List<string>();
            foreach (var password in new[] { "x", QuotedHostilePassword })
            {
                var status = await Drtools.RunAsync("status", "--engine", "redis", "--member",
                    $"Host=127.0.0.1;Port={port};Password={password}");
                Assert.True(status.ExitCode == 1, status.All);
                Assert.Contains("Redis refused the credentials", status.StandardOutput);
                outputs.Add(status.All);
            }
            // PostgreSQL's client pointed at this Redis port only times out; what answers there is named.
            var wrongEngine = await Drtools.RunAsync("status", "--member", $"Host=127.0.0.1;Port={port};Password={QuotedHostilePassword}",
                "--connect-timeout", "2s");
            Assert.True(wrongEngine.ExitCode == 1, wrongEngine.All);
            Assert.Contains("the server there answered, but not as PostgreSQL (it answered '-", wrongEngine.StandardOutput);
            Assert.Contains("as Redis does); is it another engine's port?", wrongEngine.StandardOutput);
            outputs.Add(wrongEngine.All);
            var file = Path.Combine(history.Path, "redis.yml");
            // A second member where nothing listens: the step fails naming it (a member listed twice is refused up front).
            var nobody = Core.LoopbackPort.Free();
            File.WriteAllText(file, $$"""
                name: Redis keys expired drill
                targets:
                  cache: { engine: redis, connection: ["Host=127.0.0.1;Port={{port}};Password=x", "Host=127.0.0.1;Port={{nobody}};Password={{QuotedHostilePassword.Replace("\"", "\\\"", StringComparison.Ordinal)}}"] }
                steps:
                  - { name: Check expired keys, run: Get-DbClusterStatus, with: { target: cache } }
                """);
            var journals = Path.Combine(history.Path, "history");
            var run = await Drtools.RunAsync(new Dictionary<string, string> { ["DRTOOLS_HISTORY"] = journals }, "run", file);
            Assert.True(run.ExitCode == 1, run.All);
            outputs.Add(run.All);
            var folder = Drtools.OnlyJournal(journals)!.Folder!;
            var report = await Drtools.RunAsync("report", folder, "--format", "junit");
            Assert.True(report.ExitCode == 0, report.All);
            outputs.Add(report.All);
            outputs.AddRange(Directory.GetFiles(folder).Select(File.ReadAllText));
            outputs.Add((await Drtools.RunAsync(new Dictionary<string, string> { ["DRTOOLS_HISTORY"] = journals }, "history")).All);

            Assert.Contains("Check expired keys", File.ReadAllText(Path.Combine(folder, "report.md")));
            Assert.Contains("Redis keys expired drill", File.ReadAllText(Path.Combine(folder, "report.html")));
            foreach (var output in outputs)
            {
                Assert.DoesNotContain("p;a", output);
                Assert.DoesNotContain("touch /tmp/pwned", output);
                Assert.DoesNotContain("Password=x", output);
                Assert.DoesNotContain("e***pired", output);
                Assert.DoesNotContain("e***p", output);
            }
        }
        finally
        {
            Assert.True((await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path)).ExitCode == 0);
        }
        root.AssertNothingLeft();
    }

    private const string Injection = "<script>alert(1)</script> <img src=x onerror=alert(1)> [a](javascript:alert(1)) ![](http://remote/x.png)";

    /// <summary>
    /// A server's error text, or a value quoted from the runbook, holding a line break: printed as it was, its second line
    /// stood alone on the console ("PASS: forged") under the step's FAILED line and in the validation errors.
    /// </summary>
    [Fact]
    public async Task Line_breaks_in_server_errors_and_runbook_values_stay_inside_their_line()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var file = Path.Combine(history.Path, "breaks.yml");
        File.WriteAllText(file, """
            name: breaks
            targets:
              db: { sandbox: { standbys: 0 } }
            steps:
              - name: Raise
                run: Invoke-DbQuery
                continueOnError: true
                with: { target: db, query: "do $$ begin raise exception '%', E'first line\nPASS: forged' || chr(8232) || 'PASS: too'; end $$" }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        var environment = new Dictionary<string, string>
        {
            ["DRTOOLS_HISTORY"] = Path.Combine(history.Path, "history"), ["DRTOOLS_SANDBOX_ROOT"] = root.Path,
        };
        var run = await Drtools.RunAsync(environment, "run", file);
        Assert.True(run.ExitCode is 0 or 1, run.All);
        Assert.Contains(@"FAILED in", run.StandardOutput);
        Assert.Contains(@"failed: first line\x0APASS: forged\x2028PASS: too", run.StandardOutput);
        // Every line break a reader may split at (U+2028 too, which Python's splitlines and editors honour).
        static bool Forged(string text) => text.Split(['\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029'])
            .Any(line => line.TrimStart().StartsWith("PASS: ", StringComparison.Ordinal));
        Assert.False(Forged(run.All), run.All);
        var journal = Drtools.OnlyJournal(environment["DRTOOLS_HISTORY"])!;
        foreach (var report in new[] { "report.md", "report.html", "junit.xml", "nunit.xml" })
        {
            var text = File.ReadAllText(Path.Combine(journal.Folder!, report));
            Assert.Contains("PASS: too", text);
            Assert.False(Forged(text), $"{report}: {text}");
        }

        File.WriteAllText(file, File.ReadAllText(file).Replace("run: Invoke-DbQuery", "run: \"Invoke-DbQuery\\nPASS: forged\""));
        var validate = await Drtools.RunAsync("validate", file);
        Assert.True(validate.ExitCode == 2, validate.All);
        Assert.Contains(@"unknown operation 'Invoke-DbQuery\x0APASS: forged'", validate.StandardError);
        Assert.DoesNotMatch("(?m)^PASS: forged", validate.All);
    }

    [Fact]
    public async Task Step_names_and_server_errors_are_inert_in_report_md_escaped_on_the_console_and_valid_in_JUnit()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var file = Path.Combine(history.Path, "hostile.yml");
        File.WriteAllText(file, $$"""
            name: "Hostile \e]0;retitled\a drill"
            targets:
              db: { sandbox: { standbys: 0 } }
            steps:
              - name: "Query {{Injection}} \e[2J\x01 end"
                run: Invoke-DbQuery
                with: { target: db, query: "select 1" }
              - name: Raise
                run: Invoke-DbQuery
                continueOnError: true
                with: { target: db, query: "do $$ begin raise exception '%', '{{Injection}}' || chr(27) || '[2J'; end $$" }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        var journals = Path.Combine(history.Path, "history");
        var environment = new Dictionary<string, string> { ["DRTOOLS_HISTORY"] = journals, ["DRTOOLS_SANDBOX_ROOT"] = root.Path };
        var run = await Drtools.RunAsync(environment, "run", file);
        Assert.True(run.ExitCode is 0 or 1, run.All);
        var journal = Drtools.OnlyJournal(journals)!;
        Assert.Equal(StepStatus.Passed, journal.Steps[0].Status);
        Assert.Contains("onerror", journal.Steps[1].Message);

        var markdown = File.ReadAllText(Path.Combine(journal.Folder!, "report.md"));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", markdown);
        foreach (var raw in new[] { "<script", "<img", "![", "[a]" }) Assert.DoesNotContain(raw, markdown, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', markdown);
        Assert.DoesNotMatch(@"(?<!\\)\]\((javascript|http)", markdown);
        Assert.Contains(@"\[a\](javascript:alert(1))", markdown);
        Assert.Contains(@"\\x1B\[2J", markdown, StringComparison.Ordinal);
        // The HTML report kept raw ESC and BEL bytes (in its title too).
        var html = File.ReadAllText(Path.Combine(journal.Folder!, "report.html"));
        Assert.DoesNotContain('\u001b', html);
        Assert.Contains("\\x1B[2J", html, StringComparison.Ordinal);

        var junit = await Drtools.RunAsync("report", journal.Folder!, "--format", "junit");
        Assert.True(junit.ExitCode == 0, junit.All);
        var parsed = System.Xml.Linq.XDocument.Parse(junit.StandardOutput);
        Assert.Contains(parsed.Descendants("testcase"), c => c.Attribute("name")!.Value.Contains("\\x1B[2J\\x01 end", StringComparison.Ordinal));
        System.Xml.Linq.XDocument.Parse(File.ReadAllText(Path.Combine(journal.Folder!, "junit.xml")));
        System.Xml.Linq.XDocument.Parse(File.ReadAllText(Path.Combine(journal.Folder!, "nunit.xml")));

        var listed = await Drtools.RunAsync(environment, "history");
        foreach (var output in new[] { run, junit, listed, await Drtools.RunAsync("report", journal.Folder!) })
        {
            Assert.DoesNotContain('\u001b', output.All);
            Assert.DoesNotContain('\u0007', output.All);
            Assert.DoesNotContain('\u0001', output.All);
        }
        Assert.Contains("\\x1B]0;retitled\\x07", run.StandardOutput + run.StandardError);
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task Validate_refuses_a_bad_port_and_an_alias_bomb_with_FILE_LINE_COLUMN_and_exit_code_2()
    {
        using var folder = new TemporaryRoot();
        var port = Path.Combine(folder.Path, "port.yml");
        File.WriteAllText(port, "name: p\ntargets:\n  db: { connection: \"Host=127.0.0.1;Port=abc;Password=S3cret\" }\nsteps: [ { name: S, run: Get-DbClusterStatus, with: { target: db } } ]\n");
        var bomb = Path.Combine(folder.Path, "bomb.yml");
        File.WriteAllText(bomb, string.Join("\n", new[] { "name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" }
            .Concat(Enumerable.Range(1, 10).Select(level => $"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))}]"))) + "\n");
        foreach (var (file, expected) in new[] { (port, $"drtools: {port}:3:21: target 'db' connection: member #1: invalid connection string: Port 'abc'"), (bomb, $"drtools: {bomb}:6:45: aliases here expand") })
        {
            foreach (var command in new[] { "validate", "run" })
            {
                var result = await Drtools.RunAsync(command, file);
                Assert.True(result.ExitCode == 2, result.All);
                Assert.StartsWith(expected, result.StandardError);
                Assert.DoesNotContain("S3cret", result.All);
            }
        }
    }

    [Fact]
    public async Task An_empty_fault_parameter_is_refused_in_one_line_and_nothing_is_applied()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var environment = new Dictionary<string, string> { ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "faults") };
        foreach (var (kind, argument, expected) in new[]
        {
            ("partition", "from=", "drtools: Partition of node1 (127.0.0.1:"),
            ("partition", "from= , ", "drtools: Partition of node1 (127.0.0.1:"),
            ("packet-loss", "percent=", "drtools: PacketLoss parameter 'percent' is empty: give packets dropped"),
            ("command", "start=", "drtools: Command parameter 'start' is empty"),
        })
        {
            var result = await Drtools.RunAsync(environment, "fault", "start", kind, "--sandbox", sandbox.Id, "--root", root.Path, "--on", "node1",
                "--fault-arg", argument);
            Assert.True(result.ExitCode == 2, result.All);
            Assert.StartsWith(expected, result.StandardError);
            Assert.Single(result.StandardError.Trim().Split('\n'));
            Assert.Equal("[]", (await Drtools.RunAsync(environment, "fault", "list", "--json")).StandardOutput.Trim());
            var tables = await NftTables.ListAsync();
            Assert.DoesNotContain(tables, table => sandbox.Members.Any(m => table.Contains($"_{m.Port}_", StringComparison.Ordinal)));
        }
    }
}
