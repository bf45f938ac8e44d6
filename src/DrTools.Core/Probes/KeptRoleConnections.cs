using System.Diagnostics;

namespace DrTools.Core.Probes;

/// <summary>
/// Asks each member its own role on one connection per member kept open between polls (opened again after a failure),
/// each ask within a deadline of its own: client libraries do not end a call to a frozen server at its token (Npgsql's
/// cancellation sends a cancel request to that server and waits: one poll measured held 20.5 s), and one member held
/// would hold every member's reading. An ask cut off is left to end in the background, its connection closed then;
/// until it has, that member is not asked again (a frozen member gets one ask, not one every poll). A member that could
/// not be connected to is tried again only <see cref="RetryAfter"/> later, its failure standing meanwhile: a PostgreSQL
/// server shutting down forks a process to refuse each new connection, and one every 20 ms slowed a switchover's stop by
/// ~20 ms. A kept connection that breaks is opened again at the next poll: a Redis master demoted by its Sentinels closes
/// its clients' connections while it still says it is the master to new ones.
/// </summary>
internal sealed class KeptRoleConnections<TConnection>(int members, TimeSpan answerTimeout) : IAsyncDisposable
    where TConnection : class, IAsyncDisposable
{
    private readonly TConnection?[] _connections = new TConnection?[members];
    private readonly Task?[] _asking = new Task?[members];
    private readonly (long Until, RoleReading? Reading)[] _failed = new (long, RoleReading?)[members];

    public static readonly TimeSpan RetryAfter = TimeSpan.FromMilliseconds(100);

    /// <param name="ask">
    /// Asks on the connection given, or opens one when given none, and returns the connection with the reading; closes
    /// the connection when the ask fails.
    /// </param>
    /// <param name="describe">The reading's text for a failure other than the deadline.</param>
    public async Task<RoleReading> ReadAsync(int member, string endpoint,
        Func<TConnection?, Task<(TConnection Connection, RoleReading Reading)>> ask, Func<Exception, string> describe,
        CancellationToken cancellationToken)
    {
        if (_asking[member] is { IsCompleted: false }) return new RoleReading(endpoint, null, "no answer yet to an earlier ask");
        if (_failed[member] is { Reading: { } failure } && Stopwatch.GetTimestamp() < _failed[member].Until)
        {
            return failure with { Repeated = true };
        }
        // Taken out while in use: an ask cut off at its deadline never shares its connection with the next one.
        var opening = _connections[member] is null;
        var asking = ask(_connections[member]);
        _asking[member] = asking;
        _connections[member] = null;
        try
        {
            var (connection, reading) = await Bounded.WithinAsync(asking, answerTimeout, cancellationToken, async late =>
            {
                if (late.IsCompletedSuccessfully) await late.Result.Connection.DisposeAsync();
            });
            _connections[member] = connection;
            return reading;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var why = e is OperationCanceledException ? $"no answer within {DurationText.Format(answerTimeout)}" : describe(e);
            var reading = new RoleReading(endpoint, null, why);
            if (opening) _failed[member] = (Stopwatch.GetTimestamp() + (long)(RetryAfter.TotalSeconds * Stopwatch.Frequency), reading);
            return reading;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _connections.Length; i++)
        {
            if (_connections[i] is { } connection) await connection.DisposeAsync();
            _connections[i] = null;
        }
    }
}
