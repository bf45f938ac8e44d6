using System.Collections.Concurrent;
using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Probes;

/// <summary>
/// Clients that keep writing (sequence-numbered writes: rows of drtools_probe, or the engine's equivalent) or reading
/// at a fixed rate each through the application's connection path, recording every attempt on the drill's monotonic clock.
/// A failed attempt drops its client's connection; the next attempt reconnects, as an application's pool would; with
/// several clients the last one opens a new connection for every attempt (<see cref="ProbeOptions.Clients"/>).
/// </summary>
public sealed class Probe : IAsyncDisposable
{
    public const string Table = "drtools_probe";
    /// <summary>How many of the run's newest sequences a read asks for: enough to see the writes just acknowledged.</summary>
    public const int ReadNewest = 16;

    private readonly ProbeKind _kind;
    private readonly IProbeConnector _connector;
    private readonly ProbeOptions _options;
    private readonly MonotonicClock _clock;
    private readonly ConcurrentQueue<ProbeSample> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private long _stopRequestedTicks = long.MaxValue;
    private int _connections;
    private long _sequence;
    // Each client's attempt in flight: when it was sent (ticks on the drill's clock), long.MaxValue between attempts.
    private readonly long[] _inFlightSent;
    /// <summary>When the latest acknowledgement of any client came (ticks on the drill's clock); long.MinValue before one.</summary>
    private long _lastAcknowledged = long.MinValue;
    private Task? _loop;

    private Probe(ProbeKind kind, Guid runId, IProbeConnector connector, ProbeOptions options, MonotonicClock clock)
    {
        _kind = kind;
        RunId = runId;
        _connector = connector;
        _options = options;
        _clock = clock;
        _inFlightSent = Enumerable.Repeat(long.MaxValue, options.Clients + 1).ToArray();
    }

    public Guid RunId { get; }
    public ProbeKind Kind => _kind;

    /// <summary>How the probe connects, for reports (no password).</summary>
    public string Path => _connector.Path;

    /// <summary>What each attempt does, for reports.</summary>
    public string Statement => _kind == ProbeKind.Write ? _connector.WriteStatement : _connector.ReadStatement;

    /// <summary>Where the written sequences are kept, for reports.</summary>
    public string ProbeData => _connector.ProbeData;

    public IReadOnlyList<ProbeSample> Samples => _samples.ToList();

    /// <summary>The probe's clients, for reports: how many, and which opens a new connection for every attempt.</summary>
    public string Clients => _options.ClientsText;

    /// <summary>Whether client <paramref name="client"/> opens a new connection for every attempt.</summary>
    public bool OpensEveryAttempt(int client) => _options.Churning(client);

    /// <summary>
    /// Null once every client of the probe had an attempt acknowledged by <paramref name="member"/> at or after
    /// <paramref name="since"/>; else which had none. A topology that serves the open connections but not new ones (a
    /// proxy still routing them to the old primary) has not settled for an application.
    /// </summary>
    public string? Unserved(TimeSpan since, string member)
    {
        var served = _samples.Where(s => s.Succeeded && s.Acknowledged >= since && s.Host is { } host
            && Cluster.ClusterInspector.SameEndpoint(host, member)).Select(s => s.Client).ToHashSet();
        var unserved = Enumerable.Range(1, _options.Clients).Where(c => !served.Contains(c)).ToList();
        if (unserved.Count == 0) return null;
        var churning = unserved.Where(_options.Churning).ToList();
        var churn = churning.Count == 0 ? ""
            : $" (client(s) {string.Join(", ", churning)} open a new connection for every attempt)";
        return $"client(s) {string.Join(", ", unserved)} of the {_kind.ToString().ToLowerInvariant()} probe's {_options.Clients} had no "
            + $"attempt acknowledged by {member} yet{churn}";
    }

    /// <summary>
    /// Null while writes flow; else, when no client had an attempt acknowledged for longer than <paramref name="limit"/> (the
    /// clients' attempts waiting, or timing out and sent again), what the stall is: a topology is not settled while no client
    /// writes (a lock, a synchronous standby gone), and a drill that stopped its probes then dropped the stall its clients
    /// were in. A probe whose clients together write less often than that is given one interval more.
    /// </summary>
    public string? Stalled(TimeSpan limit)
    {
        var now = _clock.Elapsed;
        var ticks = Volatile.Read(ref _lastAcknowledged);
        TimeSpan? last = ticks == long.MinValue ? null : TimeSpan.FromTicks(ticks);
        var spacing = TimeSpan.FromSeconds(1 / Math.Max(_options.Rate * _options.Clients, 0.001));
        if (last is { } acknowledged && now - acknowledged <= limit + (spacing > limit ? spacing : TimeSpan.Zero)) return null;
        var waiting = Enumerable.Range(1, _options.Clients).Where(c => Volatile.Read(ref _inFlightSent[c]) != long.MaxValue).ToList();
        return $"no attempt of the {_kind.ToString().ToLowerInvariant()} probe was acknowledged "
            + (last is { } at ? $"since +{Measurement.Seconds(at)} s" : "yet")
            + (waiting.Count == 0 ? "" : $" (client(s) {string.Join(", ", waiting)} waiting on theirs)") + ": writes stall";
    }

    /// <summary>
    /// Set when the connection string's own settings can dominate an outage figure: a multi-host string whose Host Recheck
    /// Seconds is not 0 keeps a host's old role cached that long. The probe still measures that path (it is the application's).
    /// </summary>
    public string? ClientSettingsNote => _connector.ClientSettingsNote;

    /// <summary>The multi-host, read-write (or any-host for reads) connection string an application would use for this cluster.</summary>
    public static string DefaultConnectionString(DbTarget target, ProbeKind kind)
    {
        var builder = target.Members[0].CreateBuilder();
        builder.Host = string.Join(",", target.Members.Select(m => m.Endpoint));
        // Npgsql chooses by role only among several hosts; one host (a cluster endpoint, a proxy) is simply used.
        if (target.Members.Count > 1) builder.TargetSessionAttributes = kind == ProbeKind.Write ? "read-write" : "any";
        // Npgsql otherwise trusts a host's cached role for 10 s: a standby seen a moment before its promotion would be
        // skipped that long, and the probe would report Npgsql's cache, not the cluster's outage.
        builder.HostRecheckSeconds = 0;
        builder.ApplicationName = $"drtools-{kind.ToString().ToLowerInvariant()}-probe";
        return builder.ConnectionString;
    }

    /// <summary>Creates the probe table on the primary (write probes need it; it is replicated to the standbys).</summary>
    public static async Task PrepareAsync(DbMember primary, CancellationToken cancellationToken)
    {
        await using var connection = await primary.OpenAsync(cancellationToken);
        await using var create = new NpgsqlCommand($"create table if not exists {Table} (run_id uuid not null, seq bigint not null, "
            + $"sent_at timestamptz not null default clock_timestamp(), primary key (run_id, seq))", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A PostgreSQL probe through the options' connection string, or the cluster's default multi-host one.</summary>
    public static Probe Start(ProbeKind kind, Guid runId, DbTarget target, ProbeOptions options, MonotonicClock clock)
    {
        options.Check();
        return Start(kind, runId, new PostgresProbeConnector(options.ConnectionString ?? DefaultConnectionString(target, kind),
            options.AttemptTimeout), options, clock);
    }

    /// <summary>A probe of any store, through the engine's connector.</summary>
    public static Probe Start(ProbeKind kind, Guid runId, IProbeConnector connector, ProbeOptions options, MonotonicClock clock)
    {
        options.Check();
        EnsureThreads(options.Clients);
        var probe = new Probe(kind, runId, connector, options, clock);
        probe._loop = Task.Run(probe.RunAsync);
        return probe;
    }

    /// <summary>
    /// Keeps the thread pool from holding the clients and the drill back: a fresh process starts with one worker thread
    /// per core and adds threads slowly, and with every client of both probes at work, the drill's own 2 ms polls (the
    /// stop, the promotion) waited their turn: a switchover from the CLI measured 0.94 s of write unavailability with 4
    /// clients (median of 5) and 0.60 s once the pool started with 32 threads.
    /// </summary>
    private static void EnsureThreads(int clients)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = Math.Min(256, Environment.ProcessorCount + 8 * clients);
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, io);
    }

    /// <summary>
    /// The probe's clients at once, each at the probe's rate and shifted by 1/(rate x clients) from the one before, so
    /// that together they attempt that often; one counter numbers the sequences of all of them.
    /// </summary>
    private Task RunAsync() => Task.WhenAll(Enumerable.Range(1, _options.Clients)
        .Select(client => RunClientAsync(client, churn: _options.Churning(client), _options.Stagger * (client - 1))));

    /// <param name="churn">Opens a new connection for every attempt and closes it after, as a pool under churn does.</param>
    private async Task RunClientAsync(int client, bool churn, TimeSpan phase)
    {
        IProbeSession? session = null;
        var connection = 0;
        try
        {
            await Pacing.RunAsync(_options.RateOf(client), _clock, _stop.Token, async () =>
            {
                var sequence = Interlocked.Increment(ref _sequence);
                var sent = _clock.Elapsed;
                Volatile.Write(ref _inFlightSent[client], sent.Ticks);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                attempt.CancelAfter(_options.AttemptTimeout);
                if (session is null) connection = Interlocked.Increment(ref _connections);
                var statementSent = false;
                try
                {
                    // Connecting and the statement end at the attempt's timeout, whatever the client library does.
                    session ??= await Bounded.WithinAsync(_connector.OpenAsync(attempt.Token), Left(sent), _stop.Token, async late =>
                    {
                        if (late.IsCompletedSuccessfully) await late.Result.DisposeAsync();
                    });
                    statementSent = true;
                    var open = session;
                    var answer = await Bounded.WithinAsync(open.AttemptAsync(_kind, RunId, sequence, attempt.Token), Left(sent),
                        _stop.Token, _ => open.DisposeAsync());
                    var answered = _clock.Elapsed;
                    var stopped = CutShort(answered);
                    _samples.Enqueue(stopped
                        ? Stopped(sequence, sent, answer.Server, answered, client, connection)
                        : new ProbeSample(sequence, sent, answered, answer.Server, null)
                        {
                            Client = client, Connection = connection, Observed = answer.Observed,
                        });
                    if (!stopped) InterlockedMax(ref _lastAcknowledged, answered.Ticks);
                }
                catch (Exception e)
                {
                    var ended = _clock.Elapsed;
                    var host = session?.Host;
                    // A statement cut off at the timeout closes its session once it ends (Bounded); any other failure here.
                    if (session is not null && !(statementSent && e is OperationCanceledException)) await session.DisposeAsync();
                    session = null;
                    // Whatever an attempt throws is a failed attempt the client saw, unless the probe's own stop cut it short.
                    if (CutShort(ended))
                    {
                        _samples.Enqueue(Stopped(sequence, sent, host, ended, client, connection));
                        return;
                    }
                    // Not connected: nothing was sent. Sent and then no answer or a lost connection: it may have committed.
                    var indeterminate = statementSent && !_connector.Refused(e);
                    var error = e is OperationCanceledException
                        ? $"no answer within {DurationText.Format(_options.AttemptTimeout)}"
                        : e.Message;
                    _samples.Enqueue(new ProbeSample(sequence, sent, null, host, error, indeterminate)
                    {
                        Ended = ended, Client = client, Connection = connection,
                    });
                }
                finally
                {
                    Volatile.Write(ref _inFlightSent[client], long.MaxValue);
                }
                if (churn && session is not null)
                {
                    await session.DisposeAsync();
                    session = null;
                }
            }, phase);
        }
        finally
        {
            if (session is not null) await session.DisposeAsync();
        }
    }

    /// <summary>What is left of the attempt sent at <paramref name="sent"/>.</summary>
    private TimeSpan Left(TimeSpan sent) => _options.AttemptTimeout - (_clock.Elapsed - sent);

    private const string StoppedInFlight = "in flight when the probe stopped: indeterminate";

    private static ProbeSample Stopped(long sequence, TimeSpan sent, string? host, TimeSpan ended, int client, int connection) =>
        new(sequence, sent, null, host, StoppedInFlight, Indeterminate: true)
        {
            Stopped = true, Ended = ended, Client = client, Connection = connection,
        };

    /// <summary>Whether an attempt that ended at <paramref name="ended"/> was cut short by the probe's stop.</summary>
    private bool CutShort(TimeSpan ended) => ended.Ticks >= Interlocked.Read(ref _stopRequestedTicks);

    /// <summary>
    /// Stops the probe and returns every attempt it made; the attempt in flight is cancelled and recorded as
    /// indeterminate, never as an acknowledgement taken at the stop.
    /// </summary>
    public async Task<IReadOnlyList<ProbeSample>> StopAsync()
    {
        Interlocked.CompareExchange(ref _stopRequestedTicks, _clock.Elapsed.Ticks, long.MaxValue);
        Stopping.Stop(_stop);
        if (_loop is not null) await _loop;
        return Samples;
    }

    private static void InterlockedMax(ref long location, long value)
    {
        for (var seen = Volatile.Read(ref location); seen < value; seen = Volatile.Read(ref location))
        {
            if (Interlocked.CompareExchange(ref location, value, seen) == seen) return;
        }
    }

    /// <summary>Whether every attempt sent before <paramref name="sentBefore"/> has ended (its sample is recorded).</summary>
    private bool Ended(TimeSpan sentBefore)
    {
        for (var client = 1; client < _inFlightSent.Length; client++)
        {
            if (Volatile.Read(ref _inFlightSent[client]) < sentBefore.Ticks) return false;
        }
        return true;
    }

    /// <summary>
    /// Waits until every attempt sent before <paramref name="sentBefore"/> has its outcome; each ends by the attempt timeout.
    /// A client stalled then (a flap, a lock) is part of what the drill saw, not an attempt the probes' stop cut short.
    /// </summary>
    public Task WaitForEndedAsync(TimeSpan sentBefore, CancellationToken cancellationToken) =>
        Polling.UntilAsync(() => Task.FromResult(Ended(sentBefore)), _options.AttemptTimeout + TimeSpan.FromSeconds(1),
            TimeSpan.FromMilliseconds(1), cancellationToken);

    /// <summary>Waits until an attempt succeeds at or after <paramref name="since"/>, or the timeout passes.</summary>
    public async Task<ProbeSample?> WaitForSuccessAsync(TimeSpan since, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ProbeSample? success = null;
        await Polling.UntilAsync(() => Task.FromResult((success = _samples.FirstOrDefault(s => s.Sent >= since
            && s.Succeeded)) is not null), timeout, TimeSpan.FromMilliseconds(5), cancellationToken);
        return success;
    }

    /// <summary>
    /// The baseline before a drill's fault: writes acknowledged for a moment (three at the probe's rate, at least 0.3 s),
    /// and at least <paramref name="acknowledged"/> of them however busy the machine is: what is counted after the fault
    /// (writes lost, the outage's start) then rests on writes that were acknowledged, not on the scheduler.
    /// </summary>
    public async Task WaitForBaselineAsync(int acknowledged, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.3, 3 / _options.Rate)), cancellationToken);
        int Acknowledged() => _samples.Count(s => s.Succeeded);
        var interval = TimeSpan.FromMilliseconds(5);
        if (!await Polling.UntilAsync(() => Task.FromResult(Acknowledged() >= acknowledged), timeout, interval, cancellationToken))
        {
            throw DrToolsException.RefusedAfter(
                $"the write probe had {Acknowledged()} acknowledged write(s) of the {acknowledged} the baseline before the fault needs " +
                $"within {DurationText.Format(timeout)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
