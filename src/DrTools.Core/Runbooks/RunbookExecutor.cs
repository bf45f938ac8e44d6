using System.Collections.Concurrent;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Runbooks.Reports;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Runbooks;

/// <summary>Live progress of a run, for the CLI's console and PowerShell's Write-Progress.</summary>
public interface IRunObserver
{
    void StepStarted(StepRecord step);
    void StepFinished(StepRecord step);
    void Note(string message);
}

/// <summary>Runs script: steps (PowerShell script blocks); only Invoke-DrRunbook has one.</summary>
public interface IScriptHost
{
    /// <param name="variables">The run's variables (${run} and every save: so far) by name.</param>
    /// <param name="arguments">The step's with: values, variables substituted.</param>
    Task<object?> RunAsync(string script, IReadOnlyDictionary<string, object?> variables, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken);
}

public sealed record RunbookRunOptions
{
    /// <summary>Folder of the drill history the run is recorded in (default <see cref="DrillHistory.DefaultRoot"/>).</summary>
    public string? HistoryRoot { get; init; }
    /// <summary>Who ran the drill, for the report (default the OS user).</summary>
    public string? Tester { get; init; }
    /// <summary>Folder sandboxes are created in (default the sandbox default).</summary>
    public string? SandboxRoot { get; init; }
    public IRunObserver? Observer { get; init; }
    public IScriptHost? ScriptHost { get; init; }
}

/// <summary>
/// Runs a runbook: creates its targets, runs the pre-checks (nothing changes unless all pass), runs the steps while
/// the abort conditions are checked continuously, and always runs cleanup and removes what the run created, on
/// success, failure, abort and cancellation. The journal is saved after every change.
/// </summary>
public static class RunbookExecutor
{
    public static async Task<RunJournal> RunAsync(Runbook runbook, RunbookRunOptions options, CancellationToken cancellationToken)
    {
        if (runbook.Steps.Concat(runbook.PreChecks).Concat(runbook.Cleanup).Any(s => s.Script is not null) && options.ScriptHost is null)
        {
            throw new DrToolsException($"{runbook.Source}: script: steps are PowerShell and run only under Invoke-DrRunbook.", DrErrorKind.InvalidArgument);
        }
        await using var run = Run.Start(runbook, options);
        return await run.ExecuteAsync(cancellationToken);
    }

    private sealed class Run : IAsyncDisposable
    {
        private readonly Runbook _runbook;
        private readonly RunbookRunOptions _options;
        private readonly MonotonicClock _clock;
        private readonly object _gate = new();
        private readonly string _journalPath;
        private readonly string _scratch;
        private readonly List<StepRecord> _records;
        private readonly Dictionary<RunbookStep, StepOutcome> _outcomes = [];
        private readonly Dictionary<string, object?> _variables = [];
        private readonly Dictionary<string, ResolvedTarget> _targets = [];
        private readonly Dictionary<string, string> _targetDescriptions = [];
        private readonly ConcurrentDictionary<string, Sandbox?> _created = new();
        private readonly List<string> _issues = [];
        private readonly List<string> _remediation = [];
        private readonly OperationContext _context;
        private RunJournal _journal;
        private string? _abortReason;
        private TimeSpan? _abortedAt;
        private TimeSpan? _targetsReadyAt;

        private Run(Runbook runbook, RunbookRunOptions options, MonotonicClock clock, RunJournal journal, string journalPath, string scratch)
        {
            _clock = clock;
            _runbook = runbook;
            _options = options;
            _journal = journal;
            _journalPath = journalPath;
            _scratch = scratch;
            _records = [.. AllSteps().Select(step => new StepRecord
            {
                Section = step.Section, Index = step.Index, Name = step.Name, Operation = step.Kind, ContinueOnError = step.ContinueOnError,
                Objectives = step.Objectives, Remediation = step.Remediation,
            })];
            _variables["run"] = new RunInfo(journal.Id, scratch, journal.StartedAt);
            _context = new OperationContext(_targets, _clock, runbook.Objectives, options.SandboxRoot, id => _created.TryAdd(id, null), id => _created.TryRemove(id, out _));
        }

        public static Run Start(Runbook runbook, RunbookRunOptions options)
        {
            var id = Guid.NewGuid().ToString("N")[..12];
            // Start, end and every offset in the journal are readings of this one clock.
            var clock = new MonotonicClock();
            var startedAt = clock.StartedAt;
            var folder = Path.Combine(DrillHistory.Root(options.HistoryRoot), $"{startedAt:yyyyMMdd-HHmmss}-{Slug(runbook.Name)}-{id}");
            Directory.CreateDirectory(folder);
            // The scratch folder holds what steps make (backup repositories); its marker lets a killed run's folder be found.
            var scratch = RunScratch.Create(id, Path.Combine(folder, "journal.json"), startedAt);
            var journal = new RunJournal
            {
                Id = id,
                Runbook = runbook.Name,
                TestType = runbook.TestType,
                Source = Path.GetFullPath(runbook.Source),
                Description = runbook.Description,
                Tester = options.Tester ?? Environment.UserName,
                Host = Environment.MachineName,
                DrToolsVersion = typeof(Run).Assembly.GetName().Version?.ToString(3) ?? "unknown",
                StartedAt = startedAt,
                OwnerPid = ProcessOwner.Current.Pid,
                OwnerStartTicks = ProcessOwner.Current.StartTicks,
                Folder = folder,
                ScratchDirectory = scratch,
            };
            return new Run(runbook, options, clock, journal, Path.Combine(folder, "journal.json"), scratch);
        }

        private IEnumerable<RunbookStep> AllSteps() => _runbook.PreChecks.Concat(_runbook.Steps).Concat(_runbook.Cleanup);

        public async Task<RunJournal> ExecuteAsync(CancellationToken cancellationToken)
        {
            Save();
            var cancelled = false;
            try
            {
                if (await CreateTargetsAsync(cancellationToken) && await RunPreChecksAsync(cancellationToken)) await RunStepsAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Target creation was cancelled; the sandbox removes itself.
            }
            finally
            {
                cancelled = cancellationToken.IsCancellationRequested;
                if (cancelled)
                {
                    _abortedAt ??= _clock.Elapsed;
                    _issues.Add("the run was cancelled (Ctrl+C or a cancelled token) before it finished");
                    SkipRemaining(RunbookSection.PreCheck, "not run: the run was cancelled");
                    SkipRemaining(RunbookSection.Step, "not run: the run was cancelled");
                }
                // Cleanup is what must happen whatever went before: it does not share the run's cancellation.
                await RunCleanupAsync();
                await RemoveCreatedAsync();
            }
            return Finish(cancelled);
        }

        private async Task<bool> CreateTargetsAsync(CancellationToken cancellationToken)
        {
            foreach (var target in _runbook.Targets)
            {
                try
                {
                    if (target.Sandbox is { } sandboxOptions)
                    {
                        // Named before creation: a run stopped or failing here is still recorded against its target.
                        _targetDescriptions[target.Name] = $"sandbox, {sandboxOptions.Standbys} standby(s), {(sandboxOptions.Synchronous ? "synchronous" : "asynchronous")}";
                        Save();
                        _options.Observer?.Note($"creating sandbox for target {target.Name} ({sandboxOptions.Standbys} standby(s){(sandboxOptions.Synchronous ? ", synchronous" : "")})");
                        var sandbox = await Sandbox.CreateAsync(sandboxOptions with { Root = _options.SandboxRoot ?? sandboxOptions.Root }, cancellationToken);
                        _created[sandbox.Id] = sandbox;
                        _targets[target.Name] = new(sandbox.Target, sandbox);
                        _targetDescriptions[target.Name] += $" (id {sandbox.Id}: {string.Join(", ", sandbox.Members.Select(m => $"{m.Name} 127.0.0.1:{m.Port}"))})";
                    }
                    else
                    {
                        var members = target.ConnectionStrings.SelectMany(SplitHosts).ToList();
                        var dbTarget = DbTarget.FromConnectionStrings(members);
                        _targets[target.Name] = new(dbTarget with { AllowDrill = dbTarget.AllowDrill || target.AllowDrill }, null);
                        _targetDescriptions[target.Name] = $"{dbTarget.Name}{(target.AllowDrill ? " (allowed for drills by the runbook)" : "")}";
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _issues.Add($"target {target.Name} could not be set up: {e.Message.Split('\n')[0]}");
                    SkipRemaining(RunbookSection.PreCheck, "not run: a target could not be set up");
                    SkipRemaining(RunbookSection.Step, "not run: a target could not be set up");
                    return false;
                }
                Save();
            }
            _targetsReadyAt = _clock.Elapsed;
            Save();
            return true;
        }

        /// <summary>"Host=a,b:5433" is two members: the executor checks and drills on each.</summary>
        private static IEnumerable<string> SplitHosts(string connectionString)
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException)
            {
                return [connectionString]; // DbMember.Parse reports it, without echoing a password
            }
            var hosts = (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (hosts.Length <= 1) return [connectionString];
            return hosts.Select(host =>
            {
                var single = new NpgsqlConnectionStringBuilder(connectionString);
                var colon = host.LastIndexOf(':');
                if (colon > 0 && int.TryParse(host[(colon + 1)..], out var port))
                {
                    single.Host = host[..colon];
                    single.Port = port;
                }
                else
                {
                    single.Host = host;
                }
                return single.ConnectionString;
            });
        }

        private async Task<bool> RunPreChecksAsync(CancellationToken cancellationToken)
        {
            foreach (var check in _runbook.PreChecks)
            {
                var record = await ExecuteAsync(check, cancellationToken, CancellationToken.None);
                if (cancellationToken.IsCancellationRequested) return false;
                if (!record.Succeeded && !check.ContinueOnError)
                {
                    SkipRemaining(RunbookSection.PreCheck, $"not run: {record.Label} failed");
                    SkipRemaining(RunbookSection.Step, $"not run: {record.Label} failed, so nothing was changed");
                    return false;
                }
            }
            return true;
        }

        private async Task RunStepsAsync(CancellationToken cancellationToken)
        {
            using var abort = new CancellationTokenSource();
            using var stopMonitors = new CancellationTokenSource();
            var monitors = _runbook.AbortConditions.Select(condition => Task.Run(() => MonitorAsync(condition, abort, stopMonitors.Token))).ToList();
            try
            {
                foreach (var step in _runbook.Steps)
                {
                    var record = await ExecuteAsync(step, cancellationToken, abort.Token);
                    if (cancellationToken.IsCancellationRequested || abort.IsCancellationRequested)
                    {
                        SkipRemaining(RunbookSection.Step, cancellationToken.IsCancellationRequested ? "not run: the run was cancelled" : $"not run: {_abortReason}");
                        return;
                    }
                    if (!record.Succeeded && !step.ContinueOnError)
                    {
                        SkipRemaining(RunbookSection.Step, $"not run: {record.Label} failed");
                        return;
                    }
                }
            }
            finally
            {
                await stopMonitors.CancelAsync();
                await Task.WhenAll(monitors);
            }
        }

        private async Task RunCleanupAsync()
        {
            foreach (var step in _runbook.Cleanup)
            {
                var record = await ExecuteAsync(step, CancellationToken.None, CancellationToken.None);
                _remediation.Add($"{record.Label} ({record.Operation}): {(record.Succeeded ? record.Summary ?? "done" : $"FAILED: {record.Message}")}");
            }
        }

        /// <summary>Whatever the run created and its cleanup did not remove: sandboxes and kept restored instances.</summary>
        private async Task RemoveCreatedAsync()
        {
            foreach (var (id, sandbox) in _created)
            {
                try
                {
                    if (sandbox is not null) await sandbox.DisposeAsync();
                    else await Sandbox.RemoveAsync(id, _options.SandboxRoot);
                    _remediation.Add($"removed sandbox {id}, which the run created and its cleanup did not remove");
                }
                catch (DrToolsException e)
                {
                    _issues.Add($"sandbox {id} could not be removed: {e.Message}");
                }
            }
            _created.Clear();
            try
            {
                Directory.Delete(_scratch, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _issues.Add($"the run's scratch folder {_scratch} could not be removed: {e.Message}");
            }
        }

        private async Task<StepRecord> ExecuteAsync(RunbookStep step, CancellationToken cancellationToken, CancellationToken abort)
        {
            var started = _clock.Elapsed;
            var record = Update(step, r => r with { Status = StepStatus.Running, StartedAt = started });
            _options.Observer?.StepStarted(record);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, abort);
            timeout.CancelAfter(step.Timeout);
            StepOutcome? outcome = null;
            StepStatus status;
            string? message = null;
            try
            {
                outcome = await RunStepAsync(step, timeout.Token);
                status = outcome.Passed ? StepStatus.Passed : StepStatus.Failed;
                if (!outcome.Passed) message = outcome.Summary;
            }
            catch (Exception e) when (timeout.IsCancellationRequested)
            {
                (status, message) = cancellationToken.IsCancellationRequested ? (StepStatus.Cancelled, "cancelled (Ctrl+C or a cancelled token)")
                    : abort.IsCancellationRequested ? (StepStatus.Aborted, $"stopped: {_abortReason}")
                    : (StepStatus.TimedOut, $"timed out after {DurationText.Format(step.Timeout)}{(e is OperationCanceledException ? "" : $" ({e.Message})")}");
            }
            catch (DrToolsException e)
            {
                (status, message) = (StepStatus.Failed, e.Message);
            }
            catch (Exception e)
            {
                // Whatever a step throws is its failure, reported in one line: the run goes on to cleanup.
                (status, message) = (StepStatus.Failed, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
            if (outcome is not null)
            {
                _outcomes[step] = outcome;
                if (step.Save is { } name) _variables[name] = outcome.Output;
            }
            record = Update(step, r => r with
            {
                Status = status,
                Duration = _clock.Elapsed - started,
                Summary = outcome?.Summary,
                Message = message,
                Measurements = outcome?.Measurements ?? [],
                Marks = outcome?.Marks ?? [],
            });
            if (!record.Succeeded && step.Section != RunbookSection.Cleanup)
            {
                _issues.Add($"{record.Label} ({record.Operation}) {Describe(status)}: {message}{(step.ContinueOnError ? " (continueOnError: the run went on)" : "")}");
                if (step.Remediation is { } remediation) _remediation.Add($"{record.Label}: {remediation}");
            }
            _options.Observer?.StepFinished(record);
            return record;
        }

        private static string Describe(StepStatus status) => status switch
        {
            StepStatus.TimedOut => "timed out",
            StepStatus.Aborted => "was stopped by an abort condition",
            StepStatus.Cancelled => "was cancelled",
            _ => "failed",
        };

        private Task<StepOutcome> RunStepAsync(RunbookStep step, CancellationToken cancellationToken)
        {
            var where = $"{_runbook.Source}: {step.Section.Label()} '{step.Name}'";
            if (step.Operation is { } operation)
            {
                var values = step.Arguments.ToDictionary(a => a.Key, a => ArgumentBinder.Bind(operation.Parameter(a.Key)!, a.Value, _variables, _runbook.Source, $"{step.Name} {a.Key}"));
                return operation.RunAsync(_context, new StepArguments(values), cancellationToken);
            }
            return RunScriptAsync(step, where, cancellationToken);
        }

        private async Task<StepOutcome> RunScriptAsync(RunbookStep step, string where, CancellationToken cancellationToken)
        {
            var arguments = step.Arguments.ToDictionary(a => a.Key, a => ArgumentBinder.BindUntyped(a.Value, _variables, _runbook.Source, where));
            var output = await _options.ScriptHost!.RunAsync(step.Script!, new Dictionary<string, object?>(_variables), arguments, cancellationToken);
            var text = output?.ToString() ?? "no output";
            return new StepOutcome(output, true, text.Length > 200 ? text[..200] + "…" : text);
        }

        private async Task MonitorAsync(AbortCondition condition, CancellationTokenSource abort, CancellationToken stop)
        {
            var failures = 0;
            while (!stop.IsCancellationRequested)
            {
                var (healthy, detail) = await CheckAsync(condition, stop);
                if (stop.IsCancellationRequested) return;
                failures = healthy ? 0 : failures + 1;
                if (failures >= condition.Failures)
                {
                    lock (_gate)
                    {
                        _abortReason ??= $"abort condition '{condition.Name}' tripped: {detail}";
                        _abortedAt ??= _clock.Elapsed;
                    }
                    _options.Observer?.Note(_abortReason!);
                    await abort.CancelAsync();
                    return;
                }
                try
                {
                    await Task.Delay(condition.Interval, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private static readonly HttpClient Http = new();

        private async Task<(bool Healthy, string Detail)> CheckAsync(AbortCondition condition, CancellationToken stop)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(condition.Timeout);
            try
            {
                if (condition.Http is { } url)
                {
                    using var response = await Http.GetAsync(url, timeout.Token);
                    var code = (int)response.StatusCode;
                    var healthy = condition.ExpectStatus is { } expected ? code == expected : code is >= 200 and < 300;
                    return (healthy, $"GET {url} answered {code}{(healthy ? "" : $" (expected {condition.ExpectStatus?.ToString() ?? "2xx"})")}");
                }
                var outcome = await RunStepAsync(condition.Check!, timeout.Token);
                return (outcome.Passed, outcome.Summary);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                var what = condition.Http is { } url ? $"GET {url}" : condition.Check!.Kind;
                return (false, timeout.IsCancellationRequested ? $"{what} did not answer within {DurationText.Format(condition.Timeout)}" : $"{what}: {e.Message.Split('\n')[0]}");
            }
            catch (Exception)
            {
                return (true, "stopped");
            }
        }

        private void SkipRemaining(RunbookSection section, string reason)
        {
            lock (_gate)
            {
                for (var i = 0; i < _records.Count; i++)
                {
                    if (_records[i].Section == section && _records[i].Status == StepStatus.Pending) _records[i] = _records[i] with { Status = StepStatus.Skipped, Message = reason };
                }
            }
            Save();
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
                    Steps = [.. _records],
                    Issues = [.. _issues],
                    RemediationActions = [.. _remediation],
                    AbortReason = _abortReason,
                    AbortedAt = _abortedAt,
                    TargetsReadyAt = _targetsReadyAt,
                };
                _journal.Save(_journalPath);
            }
        }

        private RunJournal Finish(bool cancelled)
        {
            var objectives = _runbook.Objectives.Select(Evaluate).ToList();
            foreach (var missed in objectives.Where(o => !o.Met))
            {
                _issues.Add(missed.Measurement is { } figure ? $"{missed.Name.ToUpperInvariant()} not met: {figure}" : $"{missed.Name.ToUpperInvariant()} not measured: {missed.NotMeasuredBecause}");
            }
            var cleanupFailed = _records.Any(r => r.Section == RunbookSection.Cleanup && !r.Succeeded);
            if (cleanupFailed) _issues.Add("cleanup did not complete: see the cleanup steps");
            var failed = _records.Any(r => r.Section != RunbookSection.Cleanup && !r.ContinueOnError && r.Status is not (StepStatus.Passed or StepStatus.Skipped))
                || _records.Any(r => r.Status == StepStatus.Skipped && r.Section == RunbookSection.Step)
                || objectives.Any(o => !o.Met) || cleanupFailed || _targets.Count < _runbook.Targets.Count;
            var status = cancelled ? RunStatus.Cancelled : _abortReason is not null ? RunStatus.Aborted : failed ? RunStatus.Failed : RunStatus.Passed;
            var duration = _clock.Elapsed;
            lock (_gate)
            {
                if (cancelled) _abortReason ??= "cancelled (Ctrl+C or a cancelled token)";
                _journal = _journal with { Objectives = objectives, Status = status, EndedAt = _clock.WallTime(duration), Duration = duration };
            }
            Save();
            Reports.Report.WriteAll(_journal, Path.GetDirectoryName(_journalPath)!);
            return _journal;
        }

        private ObjectiveResult Evaluate(RunbookObjective objective)
        {
            var steps = AllSteps().Where(s => s.Objectives.Contains(objective.Name)).ToList();
            if (steps.Count == 0) return new(objective.Name, objective.Target, null, "no step counts toward it");
            var figures = new List<(RunbookStep Step, Measurement Figure)>();
            foreach (var step in steps)
            {
                var record = _records.First(r => r.Section == step.Section && r.Index == step.Index);
                if (!_outcomes.TryGetValue(step, out var outcome)) return new(objective.Name, objective.Target, null, $"{record.Label} did not complete ({record.Status.ToString().ToLowerInvariant()})");
                if (outcome.ObjectiveFigures.TryGetValue(objective.Name, out var figure)) figures.Add((step, figure));
                else if (objective.Name == "rto") figures.Add((step, new Measurement($"duration of '{step.Name}'", record.Duration!.Value.TotalSeconds, "s", null, "step start to end on the run's monotonic clock")));
                else return new(objective.Name, objective.Target, null, $"{record.Label} measured no data loss figure for its target");
            }
            var isRto = objective.Name == "rto";
            var value = isRto ? figures.Sum(f => f.Figure.Measured) : figures.Max(f => f.Figure.Measured);
            var method = $"{(isRto ? "sum" : "largest")} of: {string.Join("; ", figures.Select(f => $"'{f.Step.Name}' {f.Figure.Name} = {f.Figure.Measured:0.###} {f.Figure.Unit} ({f.Figure.Method})"))}";
            var name = isRto ? "recovery time (RTO)" : "recovery point (RPO): window of lost writes";
            return new(objective.Name, objective.Target, new Measurement(name, value, "s", objective.Target.TotalSeconds, method), null);
        }

        private static string Slug(string name)
        {
            var slug = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
            while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
            slug = slug.Trim('-');
            return slug.Length == 0 ? "run" : slug[..Math.Min(slug.Length, 40)].TrimEnd('-');
        }

        public async ValueTask DisposeAsync()
        {
            // Only reached with something left when the run threw before its own cleanup (e.g. the journal folder vanished).
            if (!_created.IsEmpty) await RemoveCreatedAsync();
        }
    }
}
