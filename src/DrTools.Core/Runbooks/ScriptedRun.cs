using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

/// <summary>
/// A drill run driven step by step by a script (Start-DrRun, Invoke-DrStep, Register-DrCleanup, Complete-DrRun): the
/// same clock, journal, objectives, reports and drill history as a YAML runbook. As in a runbook, a failed pre-check or
/// step (without continueOnError), a cancellation or a step out of order stops the run: later steps are recorded as
/// skipped and not run; registered cleanups and removal of the sandboxes the run owns always happen when it completes.
/// </summary>
public sealed class ScriptedRun
{
    private readonly DrillRun _run;
    private readonly object _gate = new();
    private readonly List<(RunbookStep Step, object Body)> _cleanups = [];
    private readonly Dictionary<RunbookSection, int> _counts = [];
    private string? _stoppedBecause;
    private bool _cancelled;
    private bool _stepsStarted;
    private bool _serversRecorded;
    private RunJournal? _completed;

    private ScriptedRun(DrillRun run) => _run = run;

    /// <summary>The objectives a script-driven run and its steps count toward (Invoke-DrStep -Objective).</summary>
    public static IReadOnlyList<string> StepObjectives { get; } = ["rto", "rpo"];

    /// <param name="targets">Name → a <see cref="Sandbox"/> (the run owns it from now on and removes it when it completes, unless a step
    /// removed it) or a <see cref="DbTarget"/>.</param>
    public static ScriptedRun Start(RunHeader header, IReadOnlyList<RunbookObjective> objectives, IReadOnlyDictionary<string,
        object> targets, RunbookRunOptions options)
    {
        foreach (var (what, text) in new[] { ("run name", header.Name), ("test type", header.TestType) })
        {
            if (PrintableText.NameProblem(text) is { } badName)
            {
                throw new DrToolsException($"{what}: {badName}", DrErrorKind.InvalidArgument);
            }
        }
        foreach (var objective in objectives)
        {
            if (!StepObjectives.Contains(objective.Name))
            {
                throw new DrToolsException($"objective '{objective.Name}': a run's objectives are {string.Join(" and ", StepObjectives)}.",
                    DrErrorKind.InvalidArgument);
            }
        }
        foreach (var (name, target) in targets)
        {
            if (target is not (Sandbox or DbTarget)) throw new DrToolsException($"target '{name}': give a sandbox (New-DrSandbox) or "
                + $"connection strings, not a {target?.GetType().Name ?? "null"}.", DrErrorKind.InvalidArgument);
        }
        var run = DrillRun.Start(header, objectives, options);
        foreach (var (name, target) in targets)
        {
            if (target is Sandbox sandbox)
            {
                run.DescribeTarget(name, DrillRun.SandboxDescription(sandbox.Topology, sandbox.Members.Count - 1, sandbox.Synchronous));
                run.AddTarget(name, new(sandbox.Cluster, sandbox), DrillRun.SandboxDetail(sandbox));
            }
            else
            {
                var cluster = (DbTarget)target;
                run.DescribeTarget(name, cluster.Name);
                run.AddTarget(name, new(cluster, null));
            }
        }
        run.TargetsReady();
        return new ScriptedRun(run);
    }

    public string Id => _run.Info.Id;
    public string Name => Journal.Runbook;
    /// <summary>The run's scratch folder (a runbook's ${run.directory}): backup repositories and the like, removed when the run
    /// completes.</summary>
    public string Directory => _run.Scratch;
    /// <summary>The run's folder in the drill history: journal and reports.</summary>
    public string Folder => Journal.Folder!;
    public RunStatus Status => Journal.Status;
    public IReadOnlyList<StepRecord> Steps => Journal.Steps;
    public RunJournal Journal => _completed ?? _run.Journal;

    /// <summary>
    /// Runs a step, or records it skipped when the run already stopped (a pre-check or step failed, it was cancelled).
    /// Returns its record and what it produced.
    /// </summary>
    /// <param name="body">The step's work, given the step's token (its timeout, or the caller's cancellation).</param>
    public async Task<(StepRecord Record, object? Output)> RunStepAsync(ScriptStep definition, Func<CancellationToken, Task<object?>> body,
        CancellationToken cancellationToken)
    {
        RequireOneLine(definition);
        if (definition.Section == RunbookSection.Cleanup) throw new DrToolsException($"step '{definition.Name}': cleanup steps are "
            + $"registered (Register-DrCleanup) and run when the run completes.", DrErrorKind.InvalidArgument);
        string? skip;
        RunbookStep step;
        bool first;
        lock (_gate)
        {
            DemandOpen();
            first = !_serversRecorded;
            _serversRecorded = true;
            if (definition.Section == RunbookSection.PreCheck && _stepsStarted)
            {
                throw new DrToolsException($"pre-check '{definition.Name}' comes after a step: pre-checks are what must pass before "
                    + $"anything changes, so they come first.", DrErrorKind.InvalidOperation);
            }
            _stepsStarted |= definition.Section == RunbookSection.Step;
            step = Declare(definition);
            skip = _stoppedBecause;
        }
        _run.Add([step]);
        if (skip is not null)
        {
            _run.SkipRemaining(step.Section, $"not run: {skip}");
            return (_run.Record(step), null);
        }
        // The targets' server versions for the report, read once before the first step changes anything.
        if (first) await _run.RecordServersAsync(cancellationToken);
        var record = await _run.ExecuteAsync(step, async token => StepOutcomes.From(await body(token), _run.Context), cancellationToken,
            CancellationToken.None);
        lock (_gate)
        {
            if (record.Status == StepStatus.Cancelled)
            {
                _cancelled = true;
                _stoppedBecause ??= "the run was cancelled";
            }
            else if (!record.Succeeded && !step.ContinueOnError)
            {
                _stoppedBecause ??= step.Section == RunbookSection.PreCheck ? $"{record.Label} failed, so nothing was changed"
                    : $"{record.Label} failed";
            }
        }
        if (record.Status == StepStatus.Cancelled) _run.MarkCancelled();
        return (record, _run.TryGetOutput(step, out var output) ? output : null);
    }

    private static void RequireOneLine(ScriptStep definition)
    {
        if (PrintableText.NameProblem(definition.Name) is { } badName)
        {
            throw new DrToolsException($"step name: {badName}", DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>Registers a cleanup step: it runs when the run completes, whatever happened, in the order registered.</summary>
    /// <param name="body">What <see cref="CompleteAsync"/>'s runner is given to run (a PowerShell script block).</param>
    public StepRecord RegisterCleanup(ScriptStep definition, object body)
    {
        RequireOneLine(definition);
        RunbookStep step;
        lock (_gate)
        {
            DemandOpen();
            step = Declare(definition with { Section = RunbookSection.Cleanup });
            _cleanups.Add((step, body));
        }
        _run.Add([step]);
        return _run.Record(step);
    }

    /// <summary>
    /// Runs the registered cleanups (with their own timeouts, not the caller's cancellation: cleanup must happen),
    /// removes what the run owns, evaluates the objectives and writes the journal and reports. Completing again
    /// returns the same journal.
    /// </summary>
    /// <param name="runCleanup">Runs a registered cleanup's body with the step's token.</param>
    public async Task<RunJournal> CompleteAsync(Func<object, CancellationToken, Task<object?>> runCleanup, bool cancelled = false)
    {
        List<(RunbookStep Step, object Body)> cleanups;
        lock (_gate)
        {
            if (_completed is not null) return _completed;
            _cancelled |= cancelled;
            _stoppedBecause ??= _cancelled ? "the run was cancelled" : null;
            cleanups = [.. _cleanups];
            _cleanups.Clear();
        }
        if (cancelled) _run.MarkCancelled();
        foreach (var (step, body) in cleanups)
        {
            await _run.ExecuteAsync(step, async token => StepOutcomes.From(await runCleanup(body, token), _run.Context),
                CancellationToken.None, CancellationToken.None);
        }
        await _run.RemoveCreatedAsync();
        var journal = await _run.FinishAsync(_cancelled, targetsMissing: false);
        lock (_gate) _completed = journal;
        return journal;
    }

    private RunbookStep Declare(ScriptStep definition)
    {
        foreach (var objective in definition.Objectives)
        {
            if (!_run.Objectives.Any(o => o.Name == objective))
            {
                throw new DrToolsException($"step '{definition.Name}': objective '{objective}' is not among the run's objectives "
                    + $"({(_run.Objectives.Count == 0 ? "none set" : string.Join(", ", _run.Objectives.Select(o => o.Name)))}).",
                    DrErrorKind.InvalidArgument);
            }
        }
        var index = _counts.GetValueOrDefault(definition.Section);
        _counts[definition.Section] = index + 1;
        return new RunbookStep
        {
            Section = definition.Section,
            Index = index,
            Name = definition.Name,
            Command = definition.Command,
            Timeout = definition.Timeout ?? (definition.Section == RunbookSection.Cleanup ? RunbookParser.DefaultCleanupTimeout
                : RunbookParser.DefaultStepTimeout),
            ContinueOnError = definition.ContinueOnError,
            Objectives = definition.Objectives,
            Remediation = definition.Remediation,
            Position = definition.Position,
        };
    }

    private void DemandOpen()
    {
        if (_completed is not null) throw new DrToolsException($"run '{Name}' ({Id}) is complete: start a new run for more steps.",
            DrErrorKind.InvalidOperation);
    }

    public override string ToString() => $"run {Id} '{Name}' ({Status})";
}
