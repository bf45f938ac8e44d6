using System.Diagnostics;
using DrTools.Core.Postgres;

namespace DrTools.Core.Failover;

/// <summary>Tries the primary until it refuses a connection or does not answer one within a second; remembers when.</summary>
internal sealed class PrimaryWatch(DbMember primary)
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private long _since;

    public DbMember Primary => primary;

    /// <summary>The Stopwatch timestamp at which the primary was found unreachable, or null while it still answers.</summary>
    public long? Since
    {
        get
        {
            var since = Interlocked.Read(ref _since);
            return since == 0 ? null : since;
        }
    }

    public string Describe() => Since is null ? $"{primary.Display} still accepted connections" : $"{primary.Display} was unreachable";

    public async Task WatchAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            bool unreachable;
            try
            {
                unreachable = await UnreachableAsync(stop);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return; // the choice was made (or abandoned) while a connection attempt was under way
            }
            if (unreachable)
            {
                Interlocked.Exchange(ref _since, Stopwatch.GetTimestamp());
                return;
            }
            await Task.Delay(Interval, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Refused, failed, or no answer within <see cref="AnswerTimeout"/>: a dead, frozen or vanished host alike.</summary>
    private async Task<bool> UnreachableAsync(CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(AnswerTimeout);
        try
        {
            await using var connection = await primary.OpenAsync(deadline.Token);
            return false;
        }
        catch (Exception) when (!stop.IsCancellationRequested)
        {
            return true;
        }
    }
}
