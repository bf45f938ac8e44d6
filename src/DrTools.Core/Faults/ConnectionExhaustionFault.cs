using System.Collections.Concurrent;
using System.Globalization;
using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Faults;

/// <summary>
/// Every connection slot of the member taken by idle sessions this process opens and holds, so the next client is
/// refused ("too many clients"). The sessions live in this process: released on undo, and by the kernel when the
/// process ends, so an exhaustion never outlives the process that made it; its record says which process that is.
/// </summary>
internal sealed class ConnectionExhaustionFault : IFaultKind
{
    /// <summary>More sessions than any server here allows: a proxy that accepts without end stops here.</summary>
    private const int Limit = 5_000;
    private const string TooManyConnections = "53300";
    private static readonly ConcurrentDictionary<string, DbMember> Pending = new();
    private static readonly ConcurrentDictionary<string, Sessions> Held = new();
    /// <summary>How long an undo waits for the member to accept a client again: its backends exit after their sessions close.</summary>
    private static readonly TimeSpan Released = TimeSpan.FromSeconds(10);

    /// <summary>The sessions a fault holds, and how to open one more (the credentials stay in this process).</summary>
    private sealed record Sessions(string ConnectionString, List<NpgsqlConnection> Connections);

    public FaultKind Kind => FaultKind.ConnectionExhaustion;
    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string> { ["leave"] = "connection slots left "
        + "free, e.g. 2 (default 0: none)" };

    public void Check(FaultRequest request)
    {
        if (request.Member.Database is null) throw new DrToolsException($"ConnectionExhaustion of {request.Member.Display}: DrTools must "
            + $"be able to connect to it.", DrErrorKind.InvalidArgument);
        _ = Leave(request);
    }

    public string Describe(FaultRequest request) =>
        $"ConnectionExhaustion of {request.Member.Display}: every connection slot{(Leave(request) > 0 ? $" but {Leave(request)}" : "")} "
            + $"taken by idle sessions held by process {Environment.ProcessId}";

    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken)
    {
        // The member's credentials stay in this process: a record on disk never holds a password.
        Pending[id] = request.Member.Database!;
        return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string,
            string> { ["leave"] = Leave(request).ToString(CultureInfo.InvariantCulture) });
    }

    public async Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        if (!Pending.TryRemove(record.Id, out var member))
        {
            throw new DrToolsException($"fault {record.Id}: its member is not known to this process.", DrErrorKind.InvalidOperation);
        }
        var connectionString = new NpgsqlConnectionStringBuilder(member.CreateBuilder().ConnectionString) { Pooling = false, Timeout = 5,
            ApplicationName = $"drtools {record.Id}" }.ConnectionString;
        var held = (Held[record.Id] = new Sessions(connectionString, [])).Connections;
        while (held.Count < Limit)
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
                held.Add(connection);
            }
            catch (PostgresException e) when (e.SqlState == TooManyConnections)
            {
                await connection.DisposeAsync();
                break;
            }
        }
        var leave = int.Parse(record.State["leave"], CultureInfo.InvariantCulture);
        if (held.Count <= leave) throw new DrToolsException($"{record.Member} refused more sessions after {held.Count}: fewer slots than "
            + $"the {leave} to leave free.", DrErrorKind.InvalidOperation);
        foreach (var connection in held.TakeLast(leave).ToList())
        {
            held.Remove(connection);
            await connection.DisposeAsync();
        }
    }

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        if (Held.TryRemove(record.Id, out var held))
        {
            foreach (var connection in held.Connections) await connection.DisposeAsync();
            // Undone means a client is not refused for want of a slot: a closed session's slot is free once its backend exits.
            var accepted = await Polling.UntilAsync(() => SlotFreeAsync(held.ConnectionString, cancellationToken), Released,
                TimeSpan.FromMilliseconds(20), cancellationToken);
            return $"{held.Connections.Count} idle session(s) closed"
                + (accepted ? "" : $"; the member still refused a new session {DurationText.Format(Released)} later");
        }
        if (Faults.HeldElsewhere(record))
        {
            throw new DrToolsException($"the sessions are held by process {record.OwnerPid}: stop the fault there, or end that process.",
                DrErrorKind.InvalidOperation);
        }
        return $"the sessions were closed when process {record.OwnerPid} ended";
    }

    /// <summary>Whether a new session is not refused for want of a slot (a member down for another reason is not this fault's).</summary>
    private static async Task<bool> SlotFreeAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == TooManyConnections)
        {
            return false;
        }
        catch (NpgsqlException)
        {
            return true;
        }
    }

    private static int Leave(FaultRequest request) =>
        int.TryParse(request.Parameters.GetValueOrDefault("leave", "0"), NumberStyles.None, CultureInfo.InvariantCulture, out var leave)
            && leave <= Limit
            ? leave
            : throw new DrToolsException($"ConnectionExhaustion leave '{request.Parameters["leave"]}': a whole number of connection slots, "
                + $"0 or more.", DrErrorKind.InvalidArgument);
}
