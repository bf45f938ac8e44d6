using DrTools.Core.Engines;
using DrTools.Core.Integrity;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class ChecksumTests
{
    [Fact]
    public async Task Checksums_match_on_a_standby_and_a_changed_row_or_new_table_fails_by_name()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Synchronous = true, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create table orders as select g as id, md5(g::text) as item from generate_series(1, 5000) g; create table drtools_ignored (id int)");
        await Sql.ExecuteAsync(sandbox, "node0", "create table customers as select g as id from generate_series(1, 100) g");

        var before = await DbChecksums.TakeAsync(sandbox.Target, null, null, CancellationToken.None);
        Assert.Equal(["public.customers", "public.orders"], before.Tables.Select(t => t.Table));
        Assert.Equal(5000, before.Tables.Single(t => t.Table == "public.orders").Rows);
        for (var i = 0; i < 100 && !(await DbChecksums.CompareAsync(before, sandbox.Target, "node1", CancellationToken.None)).Passed; i++) await Task.Delay(20);
        Assert.True((await DbChecksums.CompareAsync(before, sandbox.Target, "node1", CancellationToken.None)).Passed);

        // Same row count, one value changed: only the checksum can tell.
        await Sql.ExecuteAsync(sandbox, "node0", "update orders set item = 'changed' where id = 4242; create table added (id int)");
        var after = await DbChecksums.TakeAsync(sandbox.Target, null, null, CancellationToken.None);
        var comparison = DbChecksums.Compare(before, after);
        Assert.Equal("FAIL", comparison.Result);
        Assert.Equal([("public.orders", "same 5000 rows, different content"), ("public.added", "not in the reference")], comparison.Differences.Select(d => (d.Table, d.Reason)));

        await Sql.ExecuteAsync(sandbox, "node0", "delete from customers where id > 90");
        var scoped = await DbChecksums.CompareAsync(before with { Tables = before.Tables.Where(t => t.Table == "public.customers").ToList() }, sandbox.Target, null, CancellationToken.None);
        Assert.Equal("public.customers: 100 rows before, 90 after", Assert.Single(scoped.Differences).Table + ": " + scoped.Differences[0].Reason);
    }

    [Fact]
    public async Task Rows_are_hashed_as_records_except_in_tables_whose_types_have_no_extended_hash_and_a_reference_keeps_its_method()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create table plain as select g as id, md5(g::text) as item from generate_series(1, 1000) g; create table documents as select g as id, json_build_object('n', g) as body from generate_series(1, 1000) g");

        var taken = await DbChecksums.TakeAsync(sandbox.Target, null, null, CancellationToken.None);
        Assert.Equal([("public.documents", "text"), ("public.plain", "record")], taken.Tables.Select(t => (t.Table, t.Method!)));
        Assert.Equal(await Sql.ScalarAsync<decimal>(sandbox, "node0", "select sum(hashtextextended(t::text, 0)) from documents t"), taken.Tables[0].Checksum);
        Assert.Equal(await Sql.ScalarAsync<decimal>(sandbox, "node0", "select sum(hash_record_extended(t, 0)) from plain t"), taken.Tables[1].Checksum);

        // A reference written before record hashing (no method) is compared by the text form, as it was taken.
        var legacy = taken with { Tables = [taken.Tables[0] with { Method = null }, new("public.plain", 1000, await Sql.ScalarAsync<decimal>(sandbox, "node0", "select sum(hashtextextended(t::text, 0)) from plain t"))] };
        var comparison = await DbChecksums.CompareAsync(legacy, sandbox.Target, null, CancellationToken.None);
        Assert.True(comparison.Passed, comparison.ToString());
        Assert.All(comparison.Current.Tables, t => Assert.Equal("text", t.Method));
    }

    [Fact]
    public async Task Nothing_in_scope_is_not_a_pass_on_any_engine_unless_allowed_and_a_runbook_step_says_so()
    {
        using var root = new TemporaryRoot();
        foreach (var engine in new[] { StoreEngines.PostgreSql, StoreEngines.MariaDb, StoreEngines.Redis })
        {
            await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = engine, Standbys = 0, Root = root.Path }, CancellationToken.None);
            var empty = await sandbox.Cluster.TakeChecksumAsync(null, null, CancellationToken.None);
            Assert.Empty(empty.Tables);
            var comparison = await Stores.CompareChecksumAsync(sandbox.Cluster, empty, null, allowEmpty: false, CancellationToken.None);
            Assert.False(comparison.Passed, $"{engine}: {comparison}");
            Assert.False(comparison.Failed);
            Assert.Equal(ChecksumComparison.NotChecked, comparison.Result);
            Assert.Equal("not checked: nothing in scope: no table in the reference or now", comparison.ToString());
            var allowed = await Stores.CompareChecksumAsync(sandbox.Cluster, empty, null, allowEmpty: true, CancellationToken.None);
            Assert.True(allowed.Passed, $"{engine}: {allowed}");
            Assert.Equal("PASS", allowed.Result);
        }

        // A runbook's integrity step: not checked fails the step; allowEmpty: true is the user asking for the pass.
        using var history = new TemporaryRoot();
        var journal = await Runbooks.RunbookExecutor.RunAsync(Runbooks.RunbookParser.Parse("""
            name: Empty store
            targets: { cache: { engine: redis, sandbox: { standbys: 0 } } }
            steps:
              - { name: Before, run: Get-DbChecksum, with: { target: cache }, save: before }
              - { name: Allowed, run: Compare-DbChecksum, with: { target: cache, reference: "${before}", allowEmpty: true } }
              - { name: Not allowed, run: Compare-DbChecksum, with: { target: cache, reference: "${before}" } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: cache } }
            """, "empty.yml"), new Runbooks.RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history.Path }, CancellationToken.None);
        var steps = journal.Steps.ToDictionary(s => s.Name);
        Assert.Equal(Runbooks.StepStatus.Passed, steps["Allowed"].Status);
        Assert.Equal(Runbooks.StepStatus.Failed, steps["Not allowed"].Status);
        Assert.Contains("not checked: nothing in scope", steps["Not allowed"].ToString());
    }

    [Fact]
    public async Task An_unknown_table_is_a_clear_error()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DrToolsException>(() => DbChecksums.TakeAsync(sandbox.Target, null, ["no_such_table"], CancellationToken.None));
        Assert.Equal("table 'no_such_table' does not exist in database postgres.", error.Message);
    }

    /// <summary>
    /// A reference names its tables schema.table unquoted; compared again, "Up.t" was read as SQL (up.t: "does not exist")
    /// and public.dot.ted as a cross-database reference, so every comparison of such a database failed, a sound backup's
    /// verification too. A table of the reference dropped since is a difference, not an error.
    /// </summary>
    [Fact]
    public async Task A_reference_of_tables_named_with_capitals_or_dots_compares_and_a_dropped_one_is_missing()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create schema \"Up\"; create table \"Up\".t (id int); insert into \"Up\".t values (1); "
            + "create table \"MixedCase\" (id int); create table \"dot.ted\" (id int); create table gone (id int)");
        // "a.b".t and a."b.t" were both a.b.t: every read of them stopped with a duplicate key (exit 134).
        await Sql.ExecuteAsync(sandbox, "node0", "create schema \"a.b\"; create table \"a.b\".t (id int); insert into \"a.b\".t values (1); "
            + "create schema a; create table a.\"b.t\" (id int); insert into a.\"b.t\" values (1)");
        await Sql.ExecuteAsync(sandbox, "node0", "create table \"n\nPASS: all identical\" (id int)");

        var reference = await DbChecksums.TakeAsync(sandbox.Target, null, null, CancellationToken.None);
        Assert.Equal(["\"a.b\".t", "Up.t", "a.\"b.t\"", "public.\"dot.ted\"", "public.MixedCase", "public.gone", "public.n\nPASS: all identical"],
            reference.Tables.Select(t => t.Table).Order(StringComparer.Ordinal));
        Assert.Equal("PASS", (await DbChecksums.CompareAsync(reference, sandbox.Target, null, CancellationToken.None)).Result);
        var named = await DbChecksums.TakeAsync(sandbox.Target, null, ["\"Up\".t", "public.\"dot.ted\""], CancellationToken.None);
        Assert.Equal("PASS", (await DbChecksums.CompareAsync(named, sandbox.Target, null, CancellationToken.None)).Result);

        await Sql.ExecuteAsync(sandbox, "node0", "insert into \"Up\".t values (2); drop table gone; update \"a.b\".t set id = 2; "
            + "insert into \"n\nPASS: all identical\" values (1)");
        var comparison = await DbChecksums.CompareAsync(reference, sandbox.Target, null, CancellationToken.None);

        Assert.Equal([("\"a.b\".t", "same 1 rows, different content"), ("Up.t", "1 rows before, 2 after"),
            ("public.gone", "missing"), ("public.n\nPASS: all identical", "0 rows before, 1 after")],
            comparison.Differences.Select(d => (d.Table, d.Reason)));
        // The verdict is one line: the table's line feed shown, not followed.
        Assert.EndsWith("; public.n\\x0APASS: all identical: 0 rows before, 1 after", comparison.ToString());
        Assert.DoesNotContain('\n', comparison.ToString());
    }
}
