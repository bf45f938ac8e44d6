using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

/// <summary>
/// The journal of one run: written to disk after every change (atomically, so a crash leaves the last complete state),
/// it is also the JSON report and what the drill history is read from.
/// </summary>
public sealed record RunJournal
{
    public const int FormatVersion = 1;
    /// <summary>The journal's file in its run's folder.</summary>
    public const string FileName = "journal.json";
    public const string ClockMethod = "All step times and timeline marks are readings of one monotonic clock "
        + "(System.Diagnostics.Stopwatch) started with the run; wall times are that clock anchored once to UTC at the start.";

    public int Version { get; init; } = FormatVersion;
    public required string Id { get; init; }
    public required string Runbook { get; init; }
    public required string TestType { get; init; }
    public required string Source { get; init; }
    public string? Description { get; init; }
    public required string Tester { get; init; }
    /// <summary>Where <see cref="Tester"/> came from: given, DRTOOLS_TESTER, or the OS account.</summary>
    public string? TesterSource { get; init; }
    public RunEnvironment? Environment { get; init; }
    public required string Host { get; init; }
    public required string DrToolsVersion { get; init; }
    /// <summary>The process running the drill, by PID and start time: a journal still "running" whose owner is gone was killed.</summary>
    public int? OwnerPid { get; init; }
    public long? OwnerStartTicks { get; init; }
    /// <summary>What each target was (without passwords): "db: sandbox 1a2b3c (node0 127.0.0.1:5433, ...)".</summary>
    public IReadOnlyDictionary<string, string> Targets { get; init; } = new Dictionary<string, string>();
    public RunStatus Status { get; init; } = RunStatus.Running;
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public TimeSpan? Duration { get; init; }
    /// <summary>Why the run was aborted or cancelled.</summary>
    public string? AbortReason { get; init; }
    /// <summary>When the abort condition tripped or the run was cancelled, on the run's clock.</summary>
    public TimeSpan? AbortedAt { get; init; }
    /// <summary>When every target was ready (sandboxes created, connection strings read), on the run's clock.</summary>
    public TimeSpan? TargetsReadyAt { get; init; }
    /// <summary>The run's scratch folder (${run.directory}), removed when the run ends.</summary>
    public string? ScratchDirectory { get; init; }
    public IReadOnlyList<StepRecord> Steps { get; init; } = [];
    public IReadOnlyList<ObjectiveResult> Objectives { get; init; } = [];
    public IReadOnlyList<string> Issues { get; init; } = [];
    public IReadOnlyList<string> RemediationActions { get; init; } = [];
    /// <summary>What the run's cleanup did (its cleanup steps, sandboxes and faults it removed itself): housekeeping, not a fix.</summary>
    public IReadOnlyList<string> CleanupActions { get; init; } = [];
    /// <summary>The reviewer's sign-off (drtools report sign, Approve-DrReport); null until reviewed.</summary>
    public RunApproval? Approval { get; init; }
    public string HowMeasured { get; init; } = ClockMethod;

    /// <summary>The folder the journal and its reports are in (not stored: it is where the journal was found).</summary>
    [JsonIgnore] public string? Folder { get; init; }

    [JsonIgnore] public bool Passed => Status == RunStatus.Passed;
    [JsonIgnore] public IEnumerable<Measurement> Measurements => Steps.SelectMany(s => s.Measurements);

    /// <summary>The objective of that name's verdict with its figure and target ("met: 0.722 s ≤ 60 s"); "n/a" when none is set.</summary>
    public string ObjectiveVerdict(string name) => Objectives.FirstOrDefault(o => o.Name == name)?.Verdict ?? "n/a";

    /// <summary>
    /// The verdict as `drtools run` prints it: the status and how long the run took, each objective met or not with its
    /// figure and target, the issues, and where the journal and reports are.
    /// </summary>
    public IReadOnlyList<string> VerdictLines() =>
    [
        $"{Runbook}: {Status.ToString().ToUpperInvariant()}{(Duration is { } took ? $" in {FigureText.Of(took.TotalSeconds, "s")}" : "")}"
            + (AbortReason is { } reason ? $" ({reason})" : ""),
        .. Objectives.Select(o => $"  {o.Name.ToUpperInvariant()}: {o.Verdict}"),
        .. Issues.Select(issue => $"  issue: {PrintableText.OneLine(issue)}"),
        $"journal and reports: {Folder}",
    ];

    /// <summary>The targets as the history groups drills by: a sandbox gets a new id every run, so only its kind counts.</summary>
    [JsonIgnore] public string TargetSummary => string.Join("; ", Targets.Select(t => $"{t.Key}: {t.Value.Split(" (id ")[0]}"));

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new RedactedStringConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>SHA-256 of the journal as stored (journal.json's bytes): what a copy of a report is checked against.</summary>
    public string ContentSha256() => RunEnvironment.Sha256(System.Text.Encoding.UTF8.GetBytes(ToJson()));

    /// <summary>The journal as it is stored, every text masked of passwords: what the reports are made from.</summary>
    public RunJournal Redacted() => (JsonSerializer.Deserialize<RunJournal>(ToJson(), JsonOptions) ?? this) with { Folder = Folder };

    public static RunJournal Load(string path)
    {
        try
        {
            var journal = JsonSerializer.Deserialize<RunJournal>(File.ReadAllText(path), JsonOptions) ?? throw new JsonException("empty");
            return journal with { Folder = Path.GetDirectoryName(Path.GetFullPath(path)) };
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new DrToolsException($"{path}: not a DrTools run journal ({e.Message.Split('\n')[0]}).", DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>A run's journal as the user names it (its folder or journal.json), a killed run shown as such.</summary>
    public static RunJournal Find(string path) => Load(Directory.Exists(path) ? Path.Combine(path, FileName) : path).AsFound();

    /// <summary>A journal still "running" whose process is gone is that of a killed run: shown as Killed, never as running
    /// forever.</summary>
    public RunJournal AsFound() => Status == RunStatus.Running && OwnerPid is { } pid && !new Processes.ProcessOwner(pid,
        OwnerStartTicks).IsAlive
        ? this with
        {
            Status = RunStatus.Killed,
            AbortReason = AbortReason
                ?? $"the process running the drill (PID {pid}) ended before the run finished: it was killed or crashed, and its cleanup "
                + $"did not run",
        }
        : this;

    /// <summary>Records in the journal at <paramref name="path"/> that its run was killed (when it still says running and its owner is
    /// gone).</summary>
    public static void MarkKilled(string path)
    {
        if (!File.Exists(path)) return;
        var journal = Load(path);
        var found = journal.AsFound();
        if (found.Status != journal.Status) found.Save(path);
    }

    /// <summary>Writes the journal to a temporary file and renames it over the old one: readers never see half a journal.</summary>
    public void Save(string path) => AtomicFile.Write(path, ToJson());
}
