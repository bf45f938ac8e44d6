using System.Collections.Concurrent;

namespace DrTools.Core.Faults;

/// <summary>Faults a run started without a duration: undone when the run ends, unless a step stopped them first.</summary>
public sealed class HeldFaults
{
    private readonly ConcurrentDictionary<string, FaultRecord> _held = new();

    public bool IsEmpty => _held.IsEmpty;

    public void Hold(FaultRecord fault) => _held[fault.Id] = fault;

    public void Release(string id) => _held.TryRemove(id, out _);

    public async Task<IReadOnlyList<FaultEnd>> UndoAllAsync()
    {
        var ended = new List<FaultEnd>();
        foreach (var fault in _held.Values.OrderByDescending(f => f.StartedAt))
        {
            ended.Add(await Faults.StopAsync(fault, CancellationToken.None));
            _held.TryRemove(fault.Id, out _);
        }
        return ended;
    }
}
