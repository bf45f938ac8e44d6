using System.Diagnostics;
using System.Net.Sockets;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>A Redis client that is not DrTools': RESP commands over a raw socket, as an independent observer of a drill.</summary>
internal static class PlainRedisClient
{
    /// <summary>One ROLE poll of every member: when it was sent (the test's own clock) and how many answered master.</summary>
    public sealed record RoleRound(TimeSpan At, int Masters);

    private sealed class Connection(TcpClient client) : IDisposable
    {
        private StreamReader? _reader;

        public static async Task<Connection> OpenAsync(Sandbox sandbox, SandboxMember member, CancellationToken cancellationToken)
        {
            var client = new TcpClient { NoDelay = true };
            var connection = new Connection(client);
            try
            {
                await client.ConnectAsync("127.0.0.1", member.Port, cancellationToken);
                var auth = await connection.SendAsync($"AUTH {sandbox.Password}", cancellationToken);
                return auth == "+OK" ? connection : throw new IOException(auth);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>Sends one command and returns the first line of its reply.</summary>
        public async Task<string> SendAsync(string command, CancellationToken cancellationToken)
        {
            var words = command.Split(' ');
            var request = $"*{words.Length}\r\n"
                + string.Concat(words.Select(w => $"${System.Text.Encoding.UTF8.GetByteCount(w)}\r\n{w}\r\n"));
            await client.GetStream().WriteAsync(System.Text.Encoding.UTF8.GetBytes(request), cancellationToken);
            _reader ??= new StreamReader(client.GetStream());
            return await _reader.ReadLineAsync(cancellationToken) ?? throw new IOException("connection closed");
        }

        /// <summary>Whether the server says it is a master (the first element of its ROLE reply).</summary>
        public async Task<bool> IsMasterAsync(CancellationToken cancellationToken)
        {
            await SendAsync("ROLE", cancellationToken);
            await _reader!.ReadLineAsync(cancellationToken);
            return await _reader.ReadLineAsync(cancellationToken) == "master";
        }

        public void Dispose() => client.Dispose();
    }

    private static async Task<bool> IsMasterAsync(Sandbox sandbox, SandboxMember member, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = await Connection.OpenAsync(sandbox, member, cancellationToken);
            return await connection.IsMasterAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes its own sequence into <paramref name="key"/> every <paramref name="interval"/> until stopped, as an
    /// application does: on the master it connected to until a write fails, then on the first member that says master.
    /// Returns the sequences acknowledged.
    /// </summary>
    public static async Task<List<long>> WriteAsync(Sandbox sandbox, string key, TimeSpan interval, CancellationToken stop)
    {
        var acknowledged = new List<long>();
        Connection? connection = null;
        try
        {
            for (long sequence = 1; !stop.IsCancellationRequested; sequence++)
            {
                try
                {
                    if (connection is null)
                    {
                        foreach (var member in sandbox.Members)
                        {
                            if (await IsMasterAsync(sandbox, member, stop))
                            {
                                connection = await Connection.OpenAsync(sandbox, member, stop);
                                break;
                            }
                        }
                    }
                    if (connection is not null && await connection.SendAsync($"HSET {key} {sequence} 1", stop) == ":1")
                    {
                        acknowledged.Add(sequence);
                    }
                    else
                    {
                        connection?.Dispose();
                        connection = null;
                    }
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    connection?.Dispose();
                    connection = null;
                }
                await Task.Delay(interval, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopped
        }
        finally
        {
            connection?.Dispose();
        }
        return acknowledged;
    }

    /// <summary>Asks every member ROLE every <paramref name="interval"/> (a new connection each) until stopped.</summary>
    public static async Task<List<RoleRound>> PollRolesAsync(Sandbox sandbox, TimeSpan interval, CancellationToken stop)
    {
        var rounds = new List<RoleRound>();
        var clock = Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var at = clock.Elapsed;
                var masters = await Task.WhenAll(sandbox.Members.Select(m => IsMasterAsync(sandbox, m, stop)));
                rounds.Add(new RoleRound(at, masters.Count(m => m)));
                var next = at + interval - clock.Elapsed;
                if (next > TimeSpan.Zero) await Task.Delay(next, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopped
        }
        return rounds;
    }
}
