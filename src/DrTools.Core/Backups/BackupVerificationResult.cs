using System.Text.Json.Serialization;
using DrTools.Core.Integrity;

namespace DrTools.Core.Backups;

public sealed record BackupVerificationResult
{
    public required string BackupId { get; init; }
    public required bool Passed { get; init; }
    public string Result => Passed ? "PASS" : "FAIL";
    /// <summary>Why it failed: the phase and what the tool or server said, naming the file where one is at fault.</summary>
    public required string? Reason { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required Measurement RestoreSeconds { get; init; }
    public required Measurement? RecoverySeconds { get; init; }
    public required Measurement? VerificationSeconds { get; init; }
    /// <summary>Restore + recovery + verification, against the RTO.</summary>
    public required Measurement TotalSeconds { get; init; }
    public required string RecoveryTarget { get; init; }
    public required ChecksumComparison? Integrity { get; init; }
    /// <summary>Why no table was compared though the restore passed (a backup taken without a reference), else null.</summary>
    public string? IntegrityNotChecked { get; init; }
    /// <summary>Set when -KeepInstance left the restored instance running: its sandbox id and port.</summary>
    public string? KeptInstance { get; init; }
    /// <summary>The sandbox id of the kept instance (Remove-DrSandbox removes it).</summary>
    public string? KeptInstanceId { get; init; }

    /// <summary>Each phase's time and the total, for the phases that ran.</summary>
    [JsonIgnore] public IReadOnlyList<Measurement> Figures => new[] { RestoreSeconds, RecoverySeconds, VerificationSeconds,
        TotalSeconds }.OfType<Measurement>().ToList();

    /// <summary>PASS, and within the RTO when one was set.</summary>
    [JsonIgnore] public bool Met => Passed && TotalSeconds.Met != false;
}
