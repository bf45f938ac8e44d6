using System.Diagnostics;

namespace DrTools.Core.Runbooks;

public static class RunbookSections
{
    /// <summary>How messages and reports name a section's steps: "pre-check 1", "step 2", "cleanup 1".</summary>
    public static string Label(this RunbookSection section) => section switch
    {
        RunbookSection.PreCheck => "pre-check",
        RunbookSection.Cleanup => "cleanup",
        RunbookSection.AbortCondition => "abort condition",
        RunbookSection.Step => "step",
        _ => throw new UnreachableException($"runbook section {section}"),
    };
}
