namespace DrTools.Core;

/// <summary>Where a long operation is: the phase it entered and roughly how far along the whole it is (0-100).</summary>
public sealed record OperationProgress(string Phase, int PercentComplete);
