using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>checksum --check-indexes: an index whose entries no longer match its rows, which the row checksum cannot see.</summary>
public sealed class IndexCheckCliTests
{
    /// <summary>
    /// An expression index over a function declared immutable that is not: once what it reads changes, the index holds
    /// the old values. The rows are as they were (the checksum against the reference passes, as it did before
    /// --check-indexes); the index check fails naming the index, its table and amcheck's words.
    /// </summary>
    [Fact]
    public async Task An_index_that_no_longer_matches_its_rows_passes_the_row_checksum_and_fails_the_index_check_naming_it()
    {
        using var root = new TemporaryRoot();
        using var folder = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create table knob (k int); insert into knob values (0); "
            + "create function shifted(int) returns int language sql immutable as 'select $1 + (select k from knob)'; "
            + "create table t (id int primary key, n int not null); insert into t select g, g % 100 from generate_series(1, 10000) g; "
            + "create index t_shifted on t (shifted(n))");
        string[] checksum = ["checksum", "--sandbox", sandbox.Id, "--root", root.Path, "--table", "public.t"];

        var missing = await Drtools.RunAsync([.. checksum, "--check-indexes"]);
        Assert.True(missing.ExitCode == 2, missing.All);
        Assert.Matches(@"^drtools: node0 \(127\.0\.0\.1:\d+\): amcheck is not installed in database 'postgres', so its indexes "
            + @"cannot be checked: run 'create extension amcheck' there as a superuser \(on the primary\), or leave --check-indexes out\.$",
            missing.StandardError.Trim());

        await Sql.ExecuteAsync(sandbox, "node0", "create extension amcheck");
        var reference = Path.Combine(folder.Path, "reference.json");
        var taken = await Drtools.RunAsync([.. checksum, "--check-indexes", "--json"]);
        Assert.True(taken.ExitCode == 0, taken.All);
        File.WriteAllText(reference, taken.StandardOutput);
        var sound = await Drtools.RunAsync([.. checksum, "--check-indexes"]);
        Assert.True(sound.ExitCode == 0, sound.All);
        Assert.Contains("indexes: PASS: 2 B-tree index(es) match their rows", sound.StandardOutput);
        await Sql.ExecuteAsync(sandbox, "node0", "update knob set k = 1");

        var rows = await Drtools.RunAsync([.. checksum, "--reference", reference]);
        var indexes = await Drtools.RunAsync([.. checksum, "--reference", reference, "--check-indexes"]);

        Assert.True(rows.ExitCode == 0, rows.All);
        Assert.True(indexes.ExitCode == 1, indexes.All);
        // One verdict: the wrong index fails the comparison (it read "PASS: 1 table(s) identical", then the index's FAIL).
        Assert.Equal("FAIL: index public.t_shifted of public.t: heap tuple (0,1) from table \"t\" lacks matching index tuple within "
            + "index \"t_shifted\"", indexes.StandardOutput.Trim());
        Assert.Equal("PASS: 1 table(s) identical", rows.StandardOutput.Trim());
    }

    /// <summary>
    /// A partitioned table's rows and index entries are in its partitions: only the parent was looked at ("PASS: 0 B-tree
    /// index(es)" with a partition's index wrong), and an index made on the parent stopped every check with amcheck's
    /// "only B-Tree indexes are supported as targets for verification".
    /// </summary>
    [Fact]
    public async Task The_indexes_of_a_partitioned_tables_partitions_are_checked()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create extension amcheck; create table knob (k int); insert into knob values (0); "
            + "create function shifted(int) returns int language sql immutable as 'select $1 + (select k from knob)'; "
            + "create table lp (id int, n int) partition by range (id); create table lp1 partition of lp for values from (0) to (1000); "
            + "create table lp2 partition of lp for values from (1000) to (2000); create index lp_n on lp (n); "
            + "create index lp1_shifted on lp1 (shifted(n)); insert into lp select g, g % 100 from generate_series(1, 1999) g");
        string[] checksum = ["checksum", "--sandbox", sandbox.Id, "--root", root.Path, "--table", "public.lp", "--check-indexes"];

        var sound = await Drtools.RunAsync(checksum);
        await Sql.ExecuteAsync(sandbox, "node0", "update knob set k = 1");
        var broken = await Drtools.RunAsync(checksum);

        Assert.True(sound.ExitCode == 0, sound.All);
        Assert.Contains("indexes: PASS: 3 B-tree index(es) match their rows", sound.StandardOutput);
        Assert.True(broken.ExitCode == 1, broken.All);
        Assert.Contains("indexes: FAIL: public.lp1_shifted of public.lp1: heap tuple (0,1) from table \"lp1\" lacks matching index tuple",
            broken.StandardOutput);
    }

    /// <summary>
    /// checkIndexes in a runbook's Get-DbChecksum and Compare-DbChecksum steps: the wrong index fails each step that checked it,
    /// naming it, while the rows-only comparison still passes (the steps had no way to ask for it).
    /// </summary>
    [Fact]
    public async Task A_runbook_step_that_checks_indexes_fails_on_an_index_that_no_longer_matches_its_rows()
    {
        using var root = new TemporaryRoot();
        using var folder = new TemporaryRoot();
        var file = Path.Combine(folder.Path, "indexes.yml");
        File.WriteAllText(file, """
            name: Index drill
            targets:
              db: { sandbox: { standbys: 0 } }
            steps:
              - name: Data
                run: Invoke-DbQuery
                with:
                  target: db
                  query: >-
                    create extension amcheck; create table knob (k int); insert into knob values (0);
                    create function shifted(int) returns int language sql immutable as 'select $1 + (select k from knob)';
                    create table t (id int primary key, n int not null); insert into t select g, g % 100 from generate_series(1, 1000) g;
                    create index t_shifted on t (shifted(n))
              - { name: Before, run: Get-DbChecksum, with: { target: db, table: [public.t], checkIndexes: true }, save: before }
              - { name: Break the index, run: Invoke-DbQuery, with: { target: db, query: "update knob set k = 1" } }
              - { name: Rows, run: Compare-DbChecksum, with: { target: db, reference: "${before}" }, continueOnError: true }
              - name: Rows and indexes
                run: Compare-DbChecksum
                with: { target: db, reference: "${before}", checkIndexes: true }
                continueOnError: true
              - { name: After, run: Get-DbChecksum, with: { target: db, table: [public.t], checkIndexes: true } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        var runs = Path.Combine(folder.Path, "runs");

        var run = await Drtools.RunAsync(["run", file, "--history", runs, "--root", root.Path]);

        Assert.True(run.ExitCode == 1, run.All);
        var steps = Drtools.OnlyJournal(runs)!.Steps.Where(s => s.Section == Core.Runbooks.RunbookSection.Step).ToList();
        const string fault = "public.t_shifted of public.t: heap tuple (0,1) from table \"t\" lacks matching index tuple within index "
            + "\"t_shifted\"";
        Assert.Equal(Core.Runbooks.StepStatus.Passed, steps[1].Status);
        Assert.EndsWith("; indexes: PASS: 2 B-tree index(es) match their rows", steps[1].Summary);
        Assert.Equal((Core.Runbooks.StepStatus.Passed, "PASS: 1 table(s) identical"), (steps[3].Status, steps[3].Summary));
        Assert.Equal((Core.Runbooks.StepStatus.Failed, $"FAIL: index {fault}"), (steps[4].Status, steps[4].Summary));
        Assert.Equal(Core.Runbooks.StepStatus.Failed, steps[5].Status);
        Assert.EndsWith($"; indexes: FAIL: {fault}", steps[5].Summary);
        root.AssertNothingLeft();
    }
}
