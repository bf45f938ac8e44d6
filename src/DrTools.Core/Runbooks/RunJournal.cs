using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

/// <summary>Killed: the process running it ended without finishing the journal (SIGKILL, a crash, a power cut).</summary>
public enum RunStatus { Running, Passed, Failed, Aborted, Cancelled, Killed }

public enum StepStatus { Pending, Running, Passed, Failed, TimedOut, Aborted, Cancelled, Skipped }

public enum MarkKind
{
    Event,
    Fault,
    Outage,
    Recovery,
    /// <summary>A window in which an injected fault (a partition, a freeze …) was in effect.</summary>
    FaultActive,
}

/// <summary>A moment (or, with Until, a window) on the run's clock: fault injection, the outage seen by clients, recovery.</summary>
public sealed record TimelineMark(string Name, MarkKind Kind, TimeSpan At, TimeSpan? Until = null, string? Detail = null);

/// <summary>What happened to one step, as the journal and the reports show it.</summary>
public sealed record StepRecord
{
    public required RunbookSection Section { get; init; }
    public required int Index { get; init; }
    public required string Name { get; init; }
    public required string Operation { get; init; }
    public StepStatus Status { get; init; } = StepStatus.Pending;
    /// <summary>Start on the run's clock.</summary>
    public TimeSpan? StartedAt { get; init; }
    public TimeSpan? Duration { get; init; }
    public string? Summary { get; init; }
    /// <summary>Why it failed, timed out, was aborted or skipped.</summary>
    public string? Message { get; init; }
    public bool ContinueOnError { get; init; }
    public IReadOnlyList<string> Objectives { get; init; } = [];
    public string? Remediation { get; init; }
    public IReadOnlyList<Measurement> Measurements { get; init; } = [];
    public IReadOnlyList<TimelineMark> Marks { get; init; } = [];
    /// <summary>A drill step's id in the run's history.jsonl (its lines' "drill"), whose figures it reports.</summary>
    public string? Drill { get; init; }

    [JsonIgnore] public bool Succeeded => Status == StepStatus.Passed;
    [JsonIgnore] public string Label => $"{Section.Label()} {Index + 1}: {Name}";

    /// <summary>One line for progress output: "step 2: Fail over: Passed in 1.9 s: detail".</summary>
    public override string ToString() =>
        $"{Label}: {Status}{(Duration is { } duration ? $" in {Measurement.Format(duration.TotalSeconds)} s" : "")}"
            + ((Message ?? Summary) is { } detail ? $": {detail}" : "");
}

/// <summary>An objective with the figure that was measured for it (null when the steps that measure it did not complete).</summary>
/// <remarks>Target is in <see cref="Unit"/>; journals written before HTTP objectives kept it as a duration, read as seconds.</remarks>
public sealed record ObjectiveResult(string Name, [property: JsonConverter(typeof(ObjectiveTargetConverter))] double Target,
    Measurement? Measurement, string? NotMeasuredBecause)
{
    public string Unit { get; init; } = "s";
    public bool Met => Measurement?.Met == true;

    /// <summary>The target in the objective's unit: ≤ 60 s.</summary>
    [JsonIgnore] public string TargetText => FigureText.Target(Target, Unit);

    /// <summary>The figure the objective was measured at, with its unit, or "not measured".</summary>
    [JsonIgnore] public string MeasuredText => Measurement?.ExactText ?? "not measured";

    /// <summary>Met or not with the figure and its target: "met: 0.722 s ≤ 60 s", "NOT met: 75 s, target ≤ 60 s".</summary>
    [JsonIgnore] public string Verdict => Measurement is null ? "NOT met: not measured"
        : Met ? $"met: {MeasuredText} {TargetText}" : $"NOT met: {MeasuredText}, target {TargetText}";
}

/// <summary>An objective's target: a number, or (in older journals) a duration such as "00:00:30", read as seconds.</summary>
internal sealed class ObjectiveTargetConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? TimeSpan.Parse(reader.GetString()!,
            System.Globalization.CultureInfo.InvariantCulture).TotalSeconds : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>Every text of a journal is stored masked of passwords: step messages and issues carry servers' and drivers' words.</summary>
internal sealed class RedactedStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Secrets.Redaction.Text(value));
}

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
