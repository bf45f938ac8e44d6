using DrTools.Core.Processes;

namespace DrTools.Core.Runbooks;

/// <summary>What a run's scratch folder says about itself (.drtools-run.json): which run, whose, and where its journal is.</summary>
internal sealed record RunScratchMarker(string Creator, string Id, int OwnerPid, long? OwnerStartTicks, string Journal,
    DateTimeOffset StartedAt)
{
    public ProcessOwner Owner => new(OwnerPid, OwnerStartTicks);
}
