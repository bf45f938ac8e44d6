using System.CommandLine;

namespace DrTools.Cli;

/// <summary>The drtools command tree: every command and option, for Program and for tests that walk the options.</summary>
public static class DrtoolsCommand
{
    public static RootCommand Create() => new("DrTools: disaster-recovery and failover testing for PostgreSQL, with measured results.")
    {
        SandboxCommands.Create(),
        StatusCommand.Create(),
        MetricsCommand.Create(),
        AlertCommands.Create(),
        LagCommand.Create(),
        FailoverCommand.Create(),
        FaultCommands.Create(),
        ChecksumCommand.Create(),
        BackupCommands.Create(),
        BackupCommands.Restore(),
        DrillCommand.Create(),
        RunbookCommands.Run(),
        RunbookCommands.Validate(),
        RunbookCommands.Report(),
        RunbookCommands.HistoryCommand(),
        KubernetesCommands.Create(),
    };
}
