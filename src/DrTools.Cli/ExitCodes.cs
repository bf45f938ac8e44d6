namespace DrTools.Cli;

public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The operation ran, and a target was not met or the cluster is unhealthy.</summary>
    public const int NotMet = 1;
    /// <summary>Bad input, an unreachable member, or a failed operation.</summary>
    public const int Error = 2;
    public const int Cancelled = 130;
}
