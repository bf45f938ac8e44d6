using DrTools.Core.Engines;

namespace DrTools.Core.Probes;

/// <summary>
/// How a probe of a store without a multi-host client finds the member it wants: each member in order, within its
/// share of the attempt (one that drops packets must leave time for the next), the first one accepted.
/// </summary>
internal static class MemberWalk
{
    public static TimeSpan PerMember(TimeSpan attemptTimeout, int members) => TimeSpan.FromMilliseconds(Math.Max(200,
        attemptTimeout.TotalMilliseconds / members));

    /// <param name="open">Opens a session on a member, or says why it is passed over (it disposes what it opened then).</param>
    /// <param name="describe">A member's failure in one line.</param>
    /// <param name="wanted">What is looked for, for the error when no member is it ("is a master").</param>
    public static async Task<IProbeSession> FirstAsync<TMember>(IReadOnlyList<TMember> members, TimeSpan perMember, string wanted,
        Func<TMember, CancellationToken, Task<(IProbeSession? Session,
            string? PassedOver)>> open, Func<TMember, Exception, string> describe, CancellationToken cancellationToken)
        where TMember : IStoreMember
    {
        var reasons = new List<string>();
        foreach (var member in members)
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connect.CancelAfter(perMember);
            try
            {
                // The library's own timeout may outlast the member's share (a frozen member): the share is kept all the same.
                var opening = open(member, connect.Token);
                var (session, passedOver) = await Bounded.WithinAsync(opening, perMember, cancellationToken, async late =>
                {
                    if (late.IsCompletedSuccessfully && late.Result.Session is { } opened) await opened.DisposeAsync();
                });
                if (session is not null) return session;
                reasons.Add($"{member.Endpoint} {passedOver}");
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                reasons.Add(e is OperationCanceledException ? $"{member.Endpoint}: no answer within {DurationText.Format(perMember)}"
                    : describe(member, e));
            }
        }
        throw new DrToolsException($"no member {wanted}: {string.Join("; ", reasons)}", DrErrorKind.ConnectionFailed);
    }
}
