namespace DrTools.Core.Faults.Leftovers;

/// <summary>DiskFull's filler files on the members' WAL disks.</summary>
internal sealed class DiskFillers : FaultLeftover
{
    public static DiskFillers Instance { get; } = new();

    public override string Name => "disk filler";

    public override Task<IReadOnlyList<string>> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(members.Select(m => m.WalVolume).OfType<string>().Where(Directory.Exists)
            .SelectMany(volume => Directory.EnumerateFiles(volume, DiskFullFault.FillerPrefix + "*")).ToList());
}
