using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Runbooks;

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
            throw new DrToolsException($"{runbook.Source}: script: steps are PowerShell and run only under Invoke-DrRunbook.",
                DrErrorKind.InvalidArgument);
        }
        await using var run = DrillRun.Start(new RunHeader(runbook.Name, runbook.TestType, Path.GetFullPath(runbook.Source),
            runbook.Description) { Notify = runbook.Notify }, runbook.Objectives, options,
            runbook.PreChecks.Concat(runbook.Steps).Concat(runbook.Cleanup));
        return await new Execution(runbook, options, run).ExecuteAsync(cancellationToken);
    }

    /// <summary>"Host=a,b:5433" is two members: the executor checks and drills on each.</summary>
    internal static IEnumerable<string> SplitHosts(string connectionString)
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

    private sealed class Execution(Runbook runbook, RunbookRunOptions options, DrillRun run)
    {
        private readonly Runbook _runbook = runbook;
        private readonly RunbookRunOptions _options = options;
        private readonly DrillRun _run = run;
        private readonly Dictionary<string, object?> _variables = new(runbook.Variables.Select(v =>
            KeyValuePair.Create(v.Key, (object?)v.Value))) { ["run"] = run.Info };

        public async Task<RunJournal> ExecuteAsync(CancellationToken cancellationToken)
        {
            var cancelled = false;
            try
            {
                if (await CreateTargetsAsync(cancellationToken)
                    && await RunPreChecksAsync(cancellationToken)) await RunStepsAsync(cancellationToken);
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
                    _run.MarkCancelled();
                    _run.SkipRemaining(RunbookSection.PreCheck, "not run: the run was cancelled");
                    _run.SkipRemaining(RunbookSection.Step, "not run: the run was cancelled");
                }
                // Cleanup is what must happen whatever went before: it does not share the run's cancellation.
                foreach (var step in _runbook.Cleanup) await ExecuteAsync(step, CancellationToken.None, CancellationToken.None);
                await _run.RemoveCreatedAsync();
            }
            return await _run.FinishAsync(cancelled, targetsMissing: _run.TargetCount < _runbook.Targets.Count);
        }

        /// <summary>
        /// A Kubernetes target with the runbook's variables in its fields; allowDrill: covers kube-system only when the
        /// runbook names it itself, never through a variable.
        /// </summary>
        private Kubernetes.KubernetesTarget Expand(Kubernetes.KubernetesTarget target, string name)
        {
            string? Value(string? text, string field) => text is null ? null : ArgumentBinder.BindUntyped(
                new YamlDotNet.RepresentationModel.YamlScalarNode(text), _variables, _runbook.Source,
                $"target '{name}' kubernetes.{field}")?.ToString();
            var ns = Value(target.Namespace, "namespace")!;
            return target with
            {
                Kubeconfig = Value(target.Kubeconfig, "kubeconfig"),
                Context = Value(target.Context, "context"),
                Namespace = ns,
                Workload = Value(target.Workload, target.Kind?.ToString().ToLowerInvariant() ?? "workload"),
                AllowDrill = target.AllowDrill && (ns != "kube-system" || target.Namespace == ns),
            };
        }

        private async Task<bool> CreateTargetsAsync(CancellationToken cancellationToken)
        {
            foreach (var target in _runbook.Targets)
            {
                try
                {
                    if (target.Kubernetes is { } kubernetes)
                    {
                        var resolved = Expand(kubernetes, target.Name);
                        _run.DescribeTarget(target.Name, $"Kubernetes {resolved.Name}{(resolved.AllowDrill
                            ? " (allowed for drills by the runbook)" : "")}");
                        _run.AddTarget(target.Name, new(null, null) { Kubernetes = resolved });
                    }
                    else if (target.Sandbox is { } sandboxOptions)
                    {
                        _run.DescribeTarget(target.Name, DrillRun.SandboxDescription(sandboxOptions.Topology, sandboxOptions.Standbys,
                            sandboxOptions.Synchronous));
                        var size = sandboxOptions.Topology == SandboxTopology.Patroni
                            ? $"{sandboxOptions.Standbys + 1} Patroni node(s) behind HAProxy" : $"{sandboxOptions.Standbys} standby(s)";
                        _options.Observer?.Note($"creating sandbox for target {target.Name} "
                            + $"({size}{(sandboxOptions.Synchronous ? ", synchronous" : "")})");
                        var sandbox = await Sandbox.CreateAsync(sandboxOptions with { Root = _options.SandboxRoot ?? sandboxOptions.Root },
                            cancellationToken);
                        _run.AddTarget(target.Name, new(sandbox.Cluster, sandbox), DrillRun.SandboxDetail(sandbox));
                    }
                    else if (target.Engine != Engines.StoreEngines.PostgreSql)
                    {
                        var store = Engines.Stores.FromConnectionStrings(target.Engine, target.ConnectionStrings);
                        // allowDrill names every member, by the endpoint its connection string gives (not the string itself).
                        if (target.AllowDrill)
                        {
                            store = Engines.Stores.FromConnectionStrings(target.Engine, target.ConnectionStrings,
                                allowDrillOn: store.Members.Select(m => m.Endpoint).ToList());
                        }
                        _run.DescribeTarget(target.Name,
                            $"{store.Name} ({target.Engine}){(target.AllowDrill ? " (allowed for drills by the runbook)" : "")}");
                        _run.AddTarget(target.Name, new(store, null));
                    }
                    else
                    {
                        var dbTarget = DbTarget.FromConnectionStrings(target.ConnectionStrings.SelectMany(SplitHosts).ToList());
                        if (target.Patroni.Count > 0) dbTarget = dbTarget with { HaManager = Patroni.PatroniManager.Parse(target.Patroni) };
                        _run.DescribeTarget(target.Name,
                            $"{dbTarget.Name}{(target.AllowDrill ? " (allowed for drills by the runbook)" : "")}");
                        _run.AddTarget(target.Name, new(dbTarget with { AllowDrill = dbTarget.AllowDrill || target.AllowDrill }, null));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _run.AddIssue($"target {target.Name} could not be set up: {e.Message.Split('\n')[0]}");
                    _run.SkipRemaining(RunbookSection.PreCheck, "not run: a target could not be set up");
                    _run.SkipRemaining(RunbookSection.Step, "not run: a target could not be set up");
                    return false;
                }
            }
            _run.TargetsReady();
            await _run.RecordServersAsync(cancellationToken);
            return true;
        }

        private async Task<bool> RunPreChecksAsync(CancellationToken cancellationToken)
        {
            foreach (var check in _runbook.PreChecks)
            {
                var record = await ExecuteAsync(check, cancellationToken, CancellationToken.None);
                if (cancellationToken.IsCancellationRequested) return false;
                if (!record.Succeeded && !check.ContinueOnError)
                {
                    _run.SkipRemaining(RunbookSection.PreCheck, $"not run: {record.Label} failed");
                    _run.SkipRemaining(RunbookSection.Step, $"not run: {record.Label} failed, so nothing was changed");
                    return false;
                }
            }
            return true;
        }

        private async Task RunStepsAsync(CancellationToken cancellationToken)
        {
            using var abort = new CancellationTokenSource();
            using var stopMonitors = new CancellationTokenSource();
            var monitors = _runbook.AbortConditions.Select(condition => Task.Run(() => MonitorAsync(condition, abort,
                stopMonitors.Token))).ToList();
            try
            {
                foreach (var step in _runbook.Steps)
                {
                    var record = await ExecuteAsync(step, cancellationToken, abort.Token);
                    if (cancellationToken.IsCancellationRequested || abort.IsCancellationRequested)
                    {
                        _run.SkipRemaining(RunbookSection.Step, cancellationToken.IsCancellationRequested ? "not run: the run was cancelled"
                            : $"not run: {_run.AbortReason}");
                        return;
                    }
                    if (!record.Succeeded && !step.ContinueOnError)
                    {
                        _run.SkipRemaining(RunbookSection.Step, $"not run: {record.Label} failed");
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

        private async Task<StepRecord> ExecuteAsync(RunbookStep step, CancellationToken cancellationToken, CancellationToken abort)
        {
            var record = await _run.ExecuteAsync(step, token => RunStepAsync(step, token), cancellationToken, abort);
            if (step.Save is { } name && _run.TryGetOutput(step, out var output)) _variables[name] = output;
            return record;
        }

        private Task<StepOutcome> RunStepAsync(RunbookStep step, CancellationToken cancellationToken)
        {
            if (step.Operation is { } operation)
            {
                var values = step.Arguments.ToDictionary(a => a.Key, a => ArgumentBinder.Bind(operation.Parameter(a.Key)!, a.Value,
                    _variables, _runbook.Source, $"{step.Name} {a.Key}"));
                return operation.RunAsync(_run.Context, new StepArguments(values), cancellationToken);
            }
            return RunScriptAsync(step, $"{_runbook.Source}: {step.Section.Label()} '{step.Name}'", cancellationToken);
        }

        private async Task<StepOutcome> RunScriptAsync(RunbookStep step, string where, CancellationToken cancellationToken)
        {
            var arguments = step.Arguments.ToDictionary(a => a.Key, a => ArgumentBinder.BindUntyped(a.Value, _variables, _runbook.Source,
                where));
            var output = await _options.ScriptHost!.RunAsync(step.Script!, new Dictionary<string, object?>(_variables), arguments,
                cancellationToken);
            return StepOutcomes.From(output, _run.Context);
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
                    _run.Abort($"abort condition '{condition.Name}' tripped: {detail}");
                    _options.Observer?.Note(_run.AbortReason!);
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
                    return (healthy,
                        $"GET {url} answered {code}{(healthy ? "" : $" (expected {condition.ExpectStatus?.ToString() ?? "2xx"})")}");
                }
                var outcome = await RunStepAsync(condition.Check!, timeout.Token);
                return (outcome.Passed, outcome.Summary);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                var what = condition.Http is { } url ? $"GET {url}" : condition.Check!.Kind;
                return (false, timeout.IsCancellationRequested ? $"{what} did not answer within {DurationText.Format(condition.Timeout)}"
                    : $"{what}: {e.Message.Split('\n')[0]}");
            }
            catch (Exception)
            {
                return (true, "stopped");
            }
        }

    }
}
