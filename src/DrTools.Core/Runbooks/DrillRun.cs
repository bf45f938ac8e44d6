using System.Collections.Concurrent;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

/// <summary>
/// The record of one drill run, whichever way it is driven (a YAML runbook, a PowerShell script): its one clock, its
/// steps as they run (timed, timed out, aborted, cancelled), the targets and sandboxes it owns, the issues and
/// remediation for the report, and its objectives evaluated from the steps' figures. The journal is saved after every
/// change; finishing writes the reports.
/// </summary>
internal sealed class DrillRun : IAsyncDisposable
{
    private readonly RunbookRunOptions _options;
    private readonly object _gate = new();
    private readonly string _journalPath;
    private readonly List<RunbookStep> _steps = [];
    private readonly List<StepRecord> _records = [];
    private readonly Dictionary<(RunbookSection, int), StepOutcome> _outcomes = [];
    private readonly Dictionary<string, ResolvedTarget> _targets = [];
    private readonly Dictionary<string, string> _targetDescriptions = [];
    private readonly ConcurrentDictionary<string, Sandbox?> _created = new();
    private readonly List<string> _issues = [];
    private readonly List<string> _remediation = [];
    private readonly List<string> _cleanup = [];
    private readonly Dictionary<string, string> _servers = [];
    private readonly IReadOnlyList<NotifyTarget> _notify;
    private readonly List<Task<IReadOnlyList<string>>> _notices = [];
    private readonly List<Probes.HistoryOperation> _history = [];
    private RunJournal _journal;
    private string? _abortReason;
    private TimeSpan? _abortedAt;
    private TimeSpan? _targetsReadyAt;

    private DrillRun(RunbookRunOptions options, IReadOnlyList<RunbookObjective> objectives, MonotonicClock clock, RunJournal journal,
        string journalPath, IReadOnlyList<NotifyTarget> notify)
    {
        _options = options;
        _notify = notify;
        Objectives = objectives;
        Clock = clock;
        _journal = journal;
        _journalPath = journalPath;
        Scratch = journal.ScratchDirectory!;
        Info = new RunInfo(journal.Id, Scratch, journal.StartedAt);
        Context = new OperationContext(_targets, clock, objectives, options.SandboxRoot, Own, id => _created.TryAdd(id, null),
            id => _created.TryRemove(id, out _), new Faults.HeldFaults());
    }

    /// <summary>Creates the run's folder in the drill history, its scratch folder and its journal, listing <paramref name="steps"/> from
    /// the first save.</summary>
    public static DrillRun Start(RunHeader header, IReadOnlyList<RunbookObjective> objectives, RunbookRunOptions options,
        IEnumerable<RunbookStep>? steps = null)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        // Start, end and every offset in the journal are readings of this one clock.
        var clock = new MonotonicClock();
        var startedAt = clock.StartedAt;
        var folder = Path.Combine(DrillHistory.Root(options.HistoryRoot), $"{startedAt:yyyyMMdd-HHmmss}-{Slug(header.Name)}-{id}");
        AtomicFile.MakeFolder(folder, "the run's folder in the drill history");
        var journalPath = Path.Combine(folder, RunJournal.FileName);
        string? scratch = null;
        try
        {
            // The scratch folder holds what steps make (backup repositories); its marker lets a killed run's folder be found.
            scratch = RunScratch.Create(id, journalPath, startedAt);
            return Begin(header, objectives, options, steps, id, clock, folder, journalPath, scratch);
        }
        catch
        {
            // A run that cannot record itself does not start, and leaves no folder behind.
            foreach (var made in new[] { folder, scratch }.OfType<string>().Where(Directory.Exists))
            {
                Directory.Delete(made, recursive: true);
            }
            throw;
        }
    }

    private static DrillRun Begin(RunHeader header, IReadOnlyList<RunbookObjective> objectives, RunbookRunOptions options,
        IEnumerable<RunbookStep>? steps, string id, MonotonicClock clock, string folder, string journalPath, string scratch)
    {
        var startedAt = clock.StartedAt;
        var journal = new RunJournal
        {
            Id = id,
            Runbook = header.Name,
            TestType = header.TestType,
            Source = header.Source,
            Description = header.Description,
            Tester = RunEnvironment.Operator(options.Tester).Name,
            TesterSource = RunEnvironment.Operator(options.Tester).Source,
            Environment = RunEnvironment.Capture(File.Exists(header.Source) ? header.Source : null),
            Host = Environment.MachineName,
            DrToolsVersion = typeof(DrillRun).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            StartedAt = startedAt,
            OwnerPid = ProcessOwner.Current.Pid,
            OwnerStartTicks = ProcessOwner.Current.StartTicks,
            Folder = folder,
            ScratchDirectory = scratch,
        };
        var run = new DrillRun(options, objectives, clock, journal, journalPath, header.Notify);
        run.Add(steps ?? []);
        run.Notify(new DrillNotice("start", header.Name, id, startedAt));
        return run;
    }

    public MonotonicClock Clock { get; }
    public IReadOnlyList<RunbookObjective> Objectives { get; }
    public OperationContext Context { get; }
    /// <summary>The built-in ${run} / $run.Directory: the scratch folder, removed when the run ends.</summary>
    public RunInfo Info { get; }
    public string Scratch { get; }
    public RunJournal Journal { get { lock (_gate) return _journal; } }
    public int TargetCount => _targets.Count;
    public string? AbortReason { get { lock (_gate) return _abortReason; } }

    /// <summary>Adds steps to the record as pending (a runbook's all at once, a script's as it reaches them).</summary>
    public void Add(IEnumerable<RunbookStep> steps)
    {
        lock (_gate)
        {
            foreach (var step in steps)
            {
                _steps.Add(step);
                _records.Add(new StepRecord
                {
                    Section = step.Section, Index = step.Index, Name = step.Name, Operation = step.Kind,
                    ContinueOnError = step.ContinueOnError,
                    Objectives = step.Objectives, Remediation = step.Remediation,
                });
            }
        }
        Save();
    }

    /// <summary>The step's record as it stands.</summary>
    public StepRecord Record(RunbookStep step)
    {
        lock (_gate) return _records.First(r => r.Section == step.Section && r.Index == step.Index);
    }

    /// <summary>Names a target before it is set up: a run stopped or failing while creating it is still recorded against it.</summary>
    public void DescribeTarget(string name, string description)
    {
        lock (_gate) _targetDescriptions[name] = description;
        Save();
    }

    public void AddTarget(string name, ResolvedTarget target, string? detail = null)
    {
        lock (_gate)
        {
            _targets[name] = target;
            if (detail is not null) _targetDescriptions[name] += detail;
        }
        if (target.Sandbox is { } sandbox) Own(sandbox);
        Save();
    }

    /// <summary>How a sandbox target is described before it exists and, with <see cref="SandboxDetail"/>, after.</summary>
    public static string SandboxDescription(SandboxTopology topology, int standbys, bool synchronous) => topology == SandboxTopology.Patroni
        ? $"Patroni sandbox, {standbys + 1} node(s) behind HAProxy, {(synchronous ? "synchronous" : "asynchronous")}"
        : $"sandbox, {standbys} standby(s), {(synchronous ? "synchronous" : "asynchronous")}";

    public static string SandboxDetail(Sandbox sandbox) =>
        $" (id {sandbox.Id}: {string.Join(", ", sandbox.Members.Select(m => $"{m.Name} 127.0.0.1:{m.ClientPort}"))})";

    public void TargetsReady()
    {
        lock (_gate) _targetsReadyAt = Clock.Elapsed;
        Save();
    }

    /// <summary>Records each target's engine and server versions for the report's environment.</summary>
    public async Task RecordServersAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, target) in _targets.ToList())
        {
            if (target.Store is null) continue;
            var servers = await RunEnvironment.DescribeServersAsync(target.Store, cancellationToken);
            lock (_gate) _servers[name] = servers;
        }
        Save();
    }

    private void AddCleanup(string action)
    {
        lock (_gate) _cleanup.Add(action);
        Save();
    }

    public void AddIssue(string issue)
    {
        lock (_gate) _issues.Add(issue);
        Save();
    }

    public void AddRemediation(string action)
    {
        lock (_gate) _remediation.Add(action);
        Save();
    }

    /// <summary>Records why the run stops early (an abort condition, a cancellation); the first reason stands.</summary>
    public void Abort(string reason)
    {
        bool first;
        lock (_gate)
        {
            first = _abortReason is null;
            _abortReason ??= reason;
            _abortedAt ??= Clock.Elapsed;
        }
        Save();
        if (first) Notify(Notice("abort") with { Reason = reason });
    }

    public void MarkCancelled()
    {
        lock (_gate)
        {
            _abortedAt ??= Clock.Elapsed;
            _issues.Add("the run was cancelled (Ctrl+C or a cancelled token) before it finished");
        }
        Save();
        Notify(Notice("abort") with { Reason = "cancelled (Ctrl+C or a cancelled token)" });
    }

    private DrillNotice Notice(string name) => new(name, Journal.Runbook, Journal.Id, DateTimeOffset.UtcNow);

    /// <summary>Posts a notice to the webhooks in the background: the drill never waits for them until its end.</summary>
    private void Notify(DrillNotice notice)
    {
        if (_notify.Count == 0) return;
        lock (_gate) _notices.Add(Notifier.SendAsync(_notify, notice));
    }

    /// <summary>A sandbox the run made or was given: removed when the run ends unless its cleanup removed it first.</summary>
    private void Own(Sandbox sandbox) => _created[sandbox.Id] = sandbox;

    /// <summary>
    /// Runs one step: timed on the run's clock, stopped by its timeout, <paramref name="cancellationToken"/> or
    /// <paramref name="abort"/>; whatever it throws is its failure in one line, and the run goes on to cleanup.
    /// </summary>
    public async Task<StepRecord> ExecuteAsync(RunbookStep step, Func<CancellationToken, Task<StepOutcome>> body,
        CancellationToken cancellationToken, CancellationToken abort)
    {
        var started = Clock.Elapsed;
        var record = Update(step, r => r with { Status = StepStatus.Running, StartedAt = started });
        _options.Observer?.StepStarted(record);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, abort);
        timeout.CancelAfter(step.Timeout);
        StepOutcome? outcome = null;
        StepStatus status;
        string? message = null;
        // A drill's probe history: its result's, or, when it ended with an error, what its probes saw until then.
        IReadOnlyList<Probes.HistoryOperation>? history = null;
        IReadOnlyList<TimelineMark> failedMarks = [];
        try
        {
            outcome = await body(timeout.Token);
            status = outcome.Passed ? StepStatus.Passed : StepStatus.Failed;
            if (!outcome.Passed) message = outcome.Summary;
            history = (outcome.Output as Failover.FailoverResult)?.History;
        }
        catch (Exception e) when (timeout.IsCancellationRequested)
        {
            history = Probes.ProbeHistory.CarriedBy(e);
            failedMarks = StepOutcomes.FailedDrillMarks(e, Clock.ReadingAt);
            (status, message) = cancellationToken.IsCancellationRequested ? (StepStatus.Cancelled,
                "cancelled (Ctrl+C or a cancelled token)")
                : abort.IsCancellationRequested ? (StepStatus.Aborted, $"stopped: {AbortReason}")
                : (StepStatus.TimedOut,
                    $"timed out after {DurationText.Format(step.Timeout)}{(e is OperationCanceledException ? "" : $" ({e.Message})")}");
        }
        catch (Exception e)
        {
            history = Probes.ProbeHistory.CarriedBy(e);
            failedMarks = StepOutcomes.FailedDrillMarks(e, Clock.ReadingAt);
            (status, message) = (StepStatus.Failed, StepFailure.Message(e));
        }
        if (outcome is not null)
        {
            lock (_gate) _outcomes[(step.Section, step.Index)] = outcome;
        }
        if (history is { Count: > 0 }) RecordHistory(history);
        record = Update(step, r => r with
        {
            Drill = history is { Count: > 0 } ? history[0].Drill : null,
            Status = status,
            Duration = Clock.Elapsed - started,
            Summary = outcome?.Summary,
            Message = message,
            Measurements = outcome?.Measurements ?? [],
            Marks = outcome?.Marks ?? failedMarks,
        });
        if (!record.Succeeded && step.Section != RunbookSection.Cleanup)
        {
            AddIssue(StepFailure.Issue(record, step.ContinueOnError));
            if (step.Remediation is { } remediation) AddRemediation($"{record.Label}: {remediation}");
        }
        if (step.Section == RunbookSection.Cleanup)
        {
            AddCleanup(
                $"{record.Label} ({record.Operation}): {(record.Succeeded ? record.Summary ?? "done" : $"FAILED: {record.Message}")}");
        }
        _options.Observer?.StepFinished(record);
        return record;
    }

    /// <summary>
    /// Adds a drill's probe history to the run's history.jsonl, beside its journal (every drill of the run, each its own lines).
    /// </summary>
    private void RecordHistory(IReadOnlyList<Probes.HistoryOperation> operations)
    {
        lock (_gate)
        {
            _history.AddRange(operations);
            var file = Path.Combine(Path.GetDirectoryName(_journalPath)!, Probes.ProbeHistory.FileName);
            AtomicFile.Write(file, Probes.ProbeHistory.ToJsonLines(_history));
        }
    }

    /// <summary>The output a step produced, when it ran to an outcome (passed or failed, not thrown or stopped).</summary>
    public bool TryGetOutput(RunbookStep step, out object? output)
    {
        lock (_gate)
        {
            var found = _outcomes.TryGetValue((step.Section, step.Index), out var outcome);
            output = outcome?.Output;
            return found;
        }
    }

    /// <summary>Marks the section's pending steps skipped, saying why.</summary>
    public void SkipRemaining(RunbookSection section, string reason)
    {
        lock (_gate)
        {
            for (var i = 0; i < _records.Count; i++)
            {
                if (_records[i].Section == section && _records[i].Status == StepStatus.Pending)
                {
                    _records[i] = _records[i] with { Status = StepStatus.Skipped, Message = reason };
                }
            }
        }
        Save();
    }

    /// <summary>Whatever the run owns and its cleanup did not remove: sandboxes and kept restored instances; then the scratch
    /// folder.</summary>
    public async Task RemoveCreatedAsync()
    {
        // Faults first: a member must be reachable again before anything else of the run is undone.
        foreach (var end in await Context.Faults.UndoAllAsync())
        {
            if (end.Undone) AddCleanup(
                $"undid fault {end.Id} ({end.Fault.Description}), which the run started and no step stopped: {end.Undo}");
            else AddIssue($"fault {end.Id} ({end.Fault.Description}) could not be undone: {end.Undo}; drtools fault stop --all retries");
        }
        foreach (var (id, sandbox) in _created)
        {
            try
            {
                if (sandbox is not null)
                {
                    if (!Directory.Exists(sandbox.Directory)) continue; // removed by a step of the run
                    await sandbox.DisposeAsync();
                }
                else await Sandbox.RemoveAsync(id, _options.SandboxRoot);
                AddCleanup($"removed sandbox {id}, which the run created and its cleanup did not remove");
            }
            catch (DrToolsException e)
            {
                AddIssue($"sandbox {id} could not be removed: {e.Message}");
            }
        }
        _created.Clear();
        try
        {
            if (Directory.Exists(Scratch)) Directory.Delete(Scratch, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AddIssue($"the run's scratch folder {Scratch} could not be removed: {e.Message}");
        }
    }

    private StepRecord Update(RunbookStep step, Func<StepRecord, StepRecord> change)
    {
        StepRecord record;
        lock (_gate)
        {
            var index = _records.FindIndex(r => r.Section == step.Section && r.Index == step.Index);
            record = _records[index] = change(_records[index]);
        }
        Save();
        return record;
    }

    private void Save()
    {
        lock (_gate)
        {
            _journal = _journal with
            {
                Targets = new Dictionary<string, string>(_targetDescriptions),
                // A script registers cleanup before its steps: reports show pre-checks, steps, cleanup, each in order.
                // Arrays, which PowerShell indexes ($run.Steps[0]); a collection expression's read-only list it does not.
                Steps = _records.OrderBy(r => r.Section).ThenBy(r => r.Index).ToArray(),
                Issues = _issues.ToArray(),
                RemediationActions = _remediation.ToArray(),
                CleanupActions = _cleanup.ToArray(),
                Environment = _journal.Environment is { } environment
                    ? environment with { Servers = new Dictionary<string, string>(_servers) }
                    : null,
                AbortReason = _abortReason,
                AbortedAt = _abortedAt,
                TargetsReadyAt = _targetsReadyAt,
            };
            _journal.Save(_journalPath);
        }
    }

    /// <summary>Evaluates the objectives, settles the verdict, saves the journal and writes every report beside it.</summary>
    /// <param name="targetsMissing">A target could not be set up: the run cannot have passed.</param>
    public async Task<RunJournal> FinishAsync(bool cancelled, bool targetsMissing)
    {
        var objectives = Objectives.Select(Evaluate).ToList();
        foreach (var missed in objectives.Where(o => !o.Met))
        {
            AddIssue(missed.Measurement is { } figure ? $"{missed.Name.ToUpperInvariant()} not met: {figure}"
                : $"{missed.Name.ToUpperInvariant()} not measured: {missed.NotMeasuredBecause}");
        }
        List<StepRecord> records;
        lock (_gate) records = [.. _records];
        var cleanupFailed = records.Any(r => r.Section == RunbookSection.Cleanup && !r.Succeeded);
        if (cleanupFailed) AddIssue("cleanup did not complete: see the cleanup steps");
        var failed = records.Any(r => r.Section != RunbookSection.Cleanup && !r.ContinueOnError
            && r.Status is not (StepStatus.Passed or StepStatus.Skipped))
            || records.Any(r => r.Status == StepStatus.Skipped && r.Section == RunbookSection.Step)
            || objectives.Any(o => !o.Met) || cleanupFailed || targetsMissing;
        var status = cancelled ? RunStatus.Cancelled : AbortReason is not null ? RunStatus.Aborted : failed ? RunStatus.Failed
            : RunStatus.Passed;
        var duration = Clock.Elapsed;
        lock (_gate)
        {
            if (cancelled) _abortReason ??= "cancelled (Ctrl+C or a cancelled token)";
            _journal = _journal with { Objectives = objectives, Status = status, EndedAt = Clock.WallTime(duration), Duration = duration };
        }
        // The verdict is settled: a notification that fails is an issue of the report, never a failed drill.
        Notify(Notice("end") with
        {
            Status = status.ToString(), Reason = AbortReason, Report = Path.Combine(Path.GetDirectoryName(_journalPath)!,
                Reports.Report.FileName(Reports.ReportFormat.Html)),
            DurationSeconds = Math.Round(duration.TotalSeconds, 3), Objectives = objectives,
        });
        Task<IReadOnlyList<string>>[] notices;
        lock (_gate) notices = [.. _notices];
        foreach (var failure in (await Task.WhenAll(notices)).SelectMany(f => f)) AddIssue(failure);
        Save();
        Reports.Report.WriteAll(Journal, Path.GetDirectoryName(_journalPath)!);
        return Journal;
    }

    private ObjectiveResult Evaluate(RunbookObjective objective)
    {
        List<RunbookStep> steps;
        lock (_gate) steps = _steps.Where(s => s.Objectives.Contains(objective.Name)).ToList();
        var kind = objective.Kind;
        ObjectiveResult NotMeasured(string because) => new(objective.Name, objective.Target, null, because)
        {
            Unit = kind.Unit, AtLeast = kind.Floor,
        };
        if (steps.Count == 0) return NotMeasured("no step counts toward it");
        var figures = new List<(RunbookStep Step, Measurement Figure)>();
        foreach (var step in steps)
        {
            StepRecord record;
            StepOutcome? outcome;
            lock (_gate)
            {
                record = Record(step);
                _outcomes.TryGetValue((step.Section, step.Index), out outcome);
            }
            if (outcome is null) return NotMeasured($"{record.Label} did not complete ({record.Status.ToString().ToLowerInvariant()})");
            if (outcome.ObjectiveFigures.TryGetValue(objective.Name, out var figure)) figures.Add((step, figure));
            else if (objective.Name == "rto") figures.Add((step, new Measurement($"duration of '{step.Name}'",
                record.Duration!.Value.TotalSeconds, "s", null, "step start to end on the run's monotonic clock")));
            else return NotMeasured($"{record.Label} measured no {kind.Measures} figure for its target");
        }
        // A figure in another unit that failed its own target (committed transactions discarded, against an RPO of 0): the
        // objective is not met, and says by what; never added to the figures in the objective's unit.
        if (figures.FirstOrDefault(f => f.Figure.Unit != kind.Unit && f.Figure.Met == false) is { Figure: { } other } failed)
        {
            return new(objective.Name, objective.Target, other with
            {
                Name = kind.Display,
                Method = $"'{failed.Step.Name}' {other.Name} = {FigureText.Of(other.Measured, other.Unit)} ({other.Method})",
            }, null) { Unit = other.Unit };
        }
        var value = kind.Floor ? figures.Min(f => f.Figure.Measured)
            : kind.Summed ? figures.Sum(f => f.Figure.Measured) : figures.Max(f => f.Figure.Measured);
        var method = $"{(kind.Floor ? "smallest" : kind.Summed ? "sum" : "largest")} of: " + string.Join("; ",
            figures.Select(f => $"'{f.Step.Name}' {f.Figure.Name} = {f.Figure.Measured:0.###} {f.Figure.Unit} ({f.Figure.Method})"));
        return new(objective.Name, objective.Target, new Measurement(kind.Display, value, kind.Unit, objective.Target, method)
        {
            AtLeast = kind.Floor,
        }, null) { Unit = kind.Unit, AtLeast = kind.Floor };
    }

    internal static string Slug(string name)
    {
        var slug = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        slug = slug.Trim('-');
        return slug.Length == 0 ? "run" : slug[..Math.Min(slug.Length, 40)].TrimEnd('-');
    }

    /// <summary>Only finds something left when the run ended without finishing (it threw before its own cleanup).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_created.IsEmpty || !Context.Faults.IsEmpty) await RemoveCreatedAsync();
    }
}
