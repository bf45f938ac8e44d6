using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Cleanup;

/// <summary>
/// What drills leave on this machine, in one list: sandboxes and restored instances under the sandbox folder, runbook
/// runs' scratch folders under the runs folder. Only what DrTools proves it made is ever removed; any other folder is
/// listed as NotASandbox and left untouched.
/// </summary>
public static class Leftovers
{
    public static IReadOnlyList<SandboxInfo> List(string? sandboxRoot = null, string? runsRoot = null) =>
        [.. Sandbox.List(sandboxRoot), .. RunScratch.List(runsRoot)];

    /// <summary>What 'remove all' takes: every sandbox and restored instance, and the scratch folders of runs whose process is
    /// gone.</summary>
    public static bool IsRemovable(SandboxInfo item) => item.Kind switch
    {
        SandboxKind.Cluster or SandboxKind.RestoredInstance => true,
        SandboxKind.RunScratch => item.State == SandboxState.Orphaned,
        _ => false,
    };

    /// <summary>Why 'remove all' leaves an item, for the user to read.</summary>
    public static string WhyKept(SandboxInfo item) => item.Kind == SandboxKind.RunScratch
        ? $"run {item.Id} is still running (PID {item.OwnerPid}): left to it"
        : $"{item.Directory} is not a DrTools sandbox ({item.Note}): left untouched";

    /// <summary>Removes one listed item: a sandbox is stopped and deleted; a killed run's folder deleted and its journal marked
    /// killed.</summary>
    public static Task RemoveAsync(SandboxInfo item) => item.Kind switch
    {
        SandboxKind.Cluster or SandboxKind.RestoredInstance => Sandbox.RemoveAsync(item.Id, Path.GetDirectoryName(item.Directory)),
        SandboxKind.RunScratch => RunScratch.RemoveOrphanAsync(item.Directory),
        _ => throw new DrToolsException(WhyKept(item), DrErrorKind.NotAllowed),
    };

    /// <summary>The item with this id (or unique prefix) in the sandbox folder, else in the runs folder.</summary>
    public static SandboxInfo Find(string id, string? sandboxRoot = null, string? runsRoot = null)
    {
        var matches = List(sandboxRoot, runsRoot).Where(i => !string.IsNullOrWhiteSpace(id) && i.Id.StartsWith(id,
            StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0
                => throw new DrToolsException($"no sandbox or run folder '{id}' under {sandboxRoot ?? Sandbox.DefaultRoot} or "
                + $"{runsRoot ?? RunScratch.DefaultRoot} (drtools sandbox list shows them).", DrErrorKind.InvalidArgument),
            _ => throw new DrToolsException($"id '{id}' is ambiguous: it matches {string.Join(", ", matches.Select(m => m.Id))}.",
                DrErrorKind.InvalidArgument),
        };
    }
}
