using System.Diagnostics;
using DrTools.Core.Processes;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>A sandbox folder of the test's own, so that what a test leaves behind can be checked without seeing other tests' sandboxes.</summary>
public sealed class TemporaryRoot : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("drtools-test-").FullName;

    public TemporaryRoot() => File.SetUnixFileMode(Path, (UnixFileMode)0b1_111_111_111);

    public IReadOnlyList<string> Sandboxes => Directory.GetDirectories(Path);

    /// <summary>Fails if a sandbox directory or any process running in one is left under this root.</summary>
    public void AssertNothingLeft()
    {
        Assert.Empty(ProcessTable.FindByWorkingDirectory(Path));
        Assert.Empty(Sandboxes);
    }

    public void Dispose()
    {
        foreach (var pid in ProcessTable.FindByWorkingDirectory(Path)) ProcessTable.Kill(pid);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A real pgbench write load against a sandbox's primary.</summary>
public static class PgBench
{
    public static async Task InitializeAsync(Sandbox sandbox, string member = "node0", int scale = 2)
    {
        using var process = Start(sandbox, member, ["-i", "-s", scale.ToString(), "-q"]);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
    }

    /// <summary>Starts pgbench writing for <paramref name="duration"/>; dispose (or await) the process when done.</summary>
    public static Process StartLoad(Sandbox sandbox, TimeSpan duration, int clients = 4, string member = "node0") =>
        Start(sandbox, member, ["-c", clients.ToString(), "-j", "2", "-T", ((int)Math.Ceiling(duration.TotalSeconds)).ToString(), "-n"]);

    private static Process Start(Sandbox sandbox, string member, string[] arguments)
    {
        var node = sandbox.Members.Single(m => m.Name == member);
        var connection = new NpgsqlConnectionStringBuilder(sandbox.ConnectionString(node));
        var info = new ProcessStartInfo(sandbox.Binaries.Tool("pgbench"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", node.ClientPort.ToString(), "-U", connection.Username! }.Concat(arguments).Append("postgres")) info.ArgumentList.Add(argument);
        info.Environment["PGPASSWORD"] = connection.Password;
        return Process.Start(info)!;
    }
}

public static class Sql
{
    /// <summary>
    /// Forks a standby onto a timeline of its own: promoted, written to (<paramref name="write"/>), then started again as a
    /// standby (of the primary it followed): it holds WAL its primary never had.
    /// </summary>
    public static async Task ForkAsync(Sandbox sandbox, string standby, string write)
    {
        Assert.True(await ScalarAsync<bool>(sandbox, standby, "select pg_promote()"));
        await ExecuteAsync(sandbox, standby, write);
        var server = sandbox.Server(standby);
        await server.StopAsync(Postgres.ShutdownMode.Fast, CancellationToken.None);
        var signal = Path.Combine(server.DataDirectory, "standby.signal");
        await File.WriteAllTextAsync(signal, "");
        Processes.ServerAccount.Current.Own(signal);
        await server.StartAsync(CancellationToken.None);
    }

    public static async Task<T> ScalarAsync<T>(Sandbox sandbox, string member, string sql)
    {
        await using var connection = await sandbox.Target.Member(member).OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static Task ExecuteAsync(Sandbox sandbox, string member, string sql) => ScalarAsync<object>(sandbox, member, sql + "; select 1");

    /// <summary>A scalar through any connection string (a proxy's port, say).</summary>
    public static async Task<T> ScalarOnAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>An HTTP server on a free loopback port; each request is handed to <see cref="Handle"/> as it arrives.</summary>
public abstract class LoopbackHttpServer : IDisposable
{
    private readonly System.Net.HttpListener _listener;
    private readonly Task _serving;
    private readonly TaskCompletionSource _stopped = new();

    protected LoopbackHttpServer(string path)
    {
        // A free port can be taken by another process before the listener binds it: another one is tried then.
        for (var attempt = 1; ; attempt++)
        {
            Url = $"http://127.0.0.1:{LoopbackPort.Free()}/{path}";
            _listener = new System.Net.HttpListener();
            _listener.Prefixes.Add(Url);
            try
            {
                _listener.Start();
                break;
            }
            catch (System.Net.HttpListenerException) when (attempt < 5)
            {
                _listener.Close();
            }
        }
        _serving = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                System.Net.HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is System.Net.HttpListenerException or ObjectDisposedException) { return; }
                await Handle(context);
            }
        });
    }

    public string Url { get; }

    /// <summary>Completes when the server stops: a request held open is let go then.</summary>
    protected Task Stopped => _stopped.Task;

    protected abstract Task Handle(System.Net.HttpListenerContext context);

    public void Dispose()
    {
        _stopped.TrySetResult();
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }
}

/// <summary>
/// An application endpoint on loopback: answers 200 until told it is unhealthy (then 503), or, given an answer, what
/// the answer says for each request (an application that asks its database, say).
/// </summary>
public sealed class HealthEndpoint(Func<Task<int>>? answer = null) : LoopbackHttpServer("health/")
{
    public volatile bool Healthy = true;

    protected override Task Handle(System.Net.HttpListenerContext context)
    {
        if (answer is null)
        {
            // Answered as it arrives: the state the test set at that moment, not when a busy pool gets to it.
            context.Response.StatusCode = Healthy ? 200 : 503;
            context.Response.Close();
            return Task.CompletedTask;
        }
        _ = Task.Run(async () =>
        {
            context.Response.StatusCode = await answer();
            context.Response.Close();
        });
        return Task.CompletedTask;
    }
}

/// <summary>The nftables table lines (`table inet drtools_…`) on this machine now, read with nft itself.</summary>
public static class NftTables
{
    // Asynchronous: a test that blocks pool threads while it polls starves the other tests running beside it.
    public static async Task<IReadOnlyList<string>> ListAsync()
    {
        using var nft = Process.Start(new ProcessStartInfo("nft", "list tables") { RedirectStandardOutput = true })!;
        var output = await nft.StandardOutput.ReadToEndAsync();
        await nft.WaitForExitAsync();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("drtools_", StringComparison.Ordinal)).ToList();
    }
}

/// <summary>A run observer that is told when each step starts (to act on the world mid-run).</summary>
public sealed class StepObserver(Action<StepRecord> started) : IRunObserver
{
    public void StepStarted(StepRecord step) => started(step);
    public void StepFinished(StepRecord step) { }
    public void Note(string message) { }
}

/// <summary>The drill's probe rows, read independently of the drill.</summary>
public static class ProbeRows
{
    /// <summary>Every acknowledged sequence the new primary (or leader) does not have.</summary>
    public static async Task<List<long>> MissingAsync(Sandbox sandbox, Failover.FailoverResult result)
    {
        var present = new HashSet<long>();
        await using var connection = new NpgsqlConnection(sandbox.ConnectionString(sandbox.Members.Single(m => result.NewPrimary.StartsWith(m.Name + " ", StringComparison.Ordinal))));
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand($"select seq from {Probes.Probe.Table} where run_id = @run", connection);
        query.Parameters.AddWithValue("run", result.RunId);
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync()) present.Add(reader.GetInt64(0));
        return result.WriteSamples.Where(s => s.Succeeded && !present.Contains(s.Sequence)).Select(s => s.Sequence).Order().ToList();
    }
}

/// <summary>A webhook on loopback that keeps what is posted to it and answers <c>status</c>, or, hanging, never answers.</summary>
public sealed class WebhookReceiver(int status = 200, bool hang = false) : LoopbackHttpServer("hooks/T0123/secret-token/")
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Received { get; } = new();

    /// <summary>The posted bodies as JSON, in the order they came.</summary>
    public IReadOnlyList<System.Text.Json.JsonElement> Bodies => Received.Select(b => System.Text.Json.JsonDocument.Parse(b).RootElement).ToList();

    protected override async Task Handle(System.Net.HttpListenerContext context)
    {
        using (var reader = new StreamReader(context.Request.InputStream)) Received.Enqueue(await reader.ReadToEndAsync());
        if (hang)
        {
            _ = Stopped.ContinueWith(_ => context.Response.Abort(), TaskScheduler.Default);
            return;
        }
        context.Response.StatusCode = status;
        context.Response.Close();
    }
}

/// <summary>SQL on a MariaDB sandbox member through MySqlConnector, as the sandbox's admin user.</summary>
public static class MariaDbSql
{
    public static async Task<long> ScalarAsync(Sandbox sandbox, string member, string sql) => Convert.ToInt64(await QueryAsync(sandbox, member, sql));

    public static async Task<string> TextAsync(Sandbox sandbox, string member, string sql) => Convert.ToString(await QueryAsync(sandbox, member, sql)) ?? "";

    private static async Task<object?> QueryAsync(Sandbox sandbox, string member, string sql)
    {
        await using var connection = new MySqlConnector.MySqlConnection(MariaDb.MariaDbEngine.ConnectionString(sandbox, sandbox.Members.Single(m => m.Name == member)));
        await connection.OpenAsync();
        await using var command = new MySqlConnector.MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}

public static class RedisCli
{
    /// <summary>redis-cli, a client DrTools did not write, against a sandbox member; its reply as text.</summary>
    public static async Task<string> RunAsync(Sandbox sandbox, string member, params string[] arguments)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--no-auth-warning", "-u", Redis.RedisEngine.Address(sandbox, sandbox.Members.Single(m => m.Name == member)) }.Concat(arguments)) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
        return output.Trim();
    }
}

/// <summary>A drill's phases reported as they are entered, on the drill's own thread: a test acts at a phase's start.</summary>
internal sealed class OnPhase(Action<OperationProgress> enter) : IProgress<OperationProgress>
{
    public void Report(OperationProgress value) => enter(value);
}
