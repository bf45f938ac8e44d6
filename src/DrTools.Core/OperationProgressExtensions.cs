namespace DrTools.Core;

public static class OperationProgressExtensions
{
    /// <summary>Reports a phase when someone listens (front ends show it as progress bars and verbose lines).</summary>
    public static void Enter(this IProgress<OperationProgress>? progress, string phase, int percentComplete) =>
        progress?.Report(new OperationProgress(phase, Math.Clamp(percentComplete, 0, 100)));
}
