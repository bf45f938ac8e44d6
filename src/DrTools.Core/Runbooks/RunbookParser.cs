using System.Text.RegularExpressions;
using DrTools.Core.Runbooks.Operations;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

/// <summary>
/// Reads a runbook file and checks all of it before anything runs: YAML syntax, known keys, known operations, their
/// parameters and types, targets, variables (defined by an earlier save:) and objectives. Every problem is reported
/// with its line and column; a file with any problem does not run at all.
/// </summary>
public static partial class RunbookParser
{
    public static readonly TimeSpan DefaultStepTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan DefaultCleanupTimeout = TimeSpan.FromMinutes(5);
    private static readonly string[] TopLevelKeys = ["name", "type", "description", "variables", "objectives", "targets", "preChecks",
        "steps", "cleanup", "abortConditions", "notify"];
    private static readonly string[] KubernetesKeys = ["kubeconfig", "context", "namespace",
        .. Enum.GetNames<Kubernetes.WorkloadKind>().Select(k => k.ToLowerInvariant())];
    private static readonly string[] StepKeys = ["name", "run", "script", "with", "timeout", "continueOnError", "save", "objective",
        "remediation"];
    private static readonly string[] AbortKeys = ["name", "run", "with", "http", "expectStatus", "interval", "failures", "timeout"];
    private static readonly string[] ObjectiveNames = [.. ObjectiveKind.All.Select(k => k.Name)];

    [GeneratedRegex(@"^member #([0-9]{1,6}):")]
    private static partial Regex MemberNumber();

    [GeneratedRegex(@"^[A-Za-z_]\w*$")]
    private static partial Regex Identifier();

    public static Runbook Load(string path, bool scriptSteps = false, CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(path)) throw new DrToolsException($"{path}: is a folder; give the runbook's file (e.g. "
            + $"{Path.Combine(path, "runbook.yml")}).", DrErrorKind.InvalidArgument);
        if (File.Exists(path) && new FileInfo(path).Length > RunbookShape.MaxCharacters * 4L)
        {
            throw new DrToolsException($"{path}: {new FileInfo(path).Length:N0} bytes is too large for a runbook (at most 1 MiB).",
                DrErrorKind.InvalidArgument);
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DrToolsException($"{path}: cannot read the runbook ({e.Message})", DrErrorKind.InvalidArgument);
        }
        return Parse(text, path, scriptSteps, cancellationToken);
    }

    /// <param name="scriptSteps">Whether PowerShell script steps can run (only under Invoke-DrRunbook).</param>
    /// <param name="cancellationToken">Stops reading the text (Ctrl+C, SIGTERM).</param>
    public static Runbook Parse(string text, string source, bool scriptSteps = false, CancellationToken cancellationToken = default)
    {
        if (RunbookShape.CheckText(text, cancellationToken) is { } malformed) throw new RunbookInvalidException(source, [malformed]);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new RunbookInvalidException(source, [ArgumentBinder.SyntaxError(e)]);
        }
        if (stream.Documents.Select(d => RunbookShape.CheckKeys(d.RootNode)).FirstOrDefault(e => e is not null) is { } badKey)
        {
            throw new RunbookInvalidException(source, [badKey]);
        }
        var reader = new Reader(source, scriptSteps);
        var runbook = stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode root ? reader.Read(root) : null;
        if (runbook is null) reader.Fail(stream.Documents.Count == 0 ? new SourcePosition(1, 1)
            : SourcePosition.Of(stream.Documents[0].RootNode), "a runbook is one YAML mapping with name:, targets: and steps:.");
        // An abort condition's keys are read twice (as a condition and as its check): report each problem once.
        if (reader.Errors.Count > 0) throw new RunbookInvalidException(source,
            reader.Errors.Distinct().OrderBy(e => e.Position.Line).ThenBy(e => e.Position.Column).ToList());
        return runbook!;
    }

    private sealed partial class Reader(string source, bool scriptSteps)
    {
        public List<RunbookError> Errors { get; } = [];
        private readonly Dictionary<string, Type> _variables = new() { ["run"] = typeof(RunInfo) };
        private HashSet<string> _targets = [];
        private HashSet<string> _sandboxTargets = [];
        private List<RunbookObjective> _objectives = [];

        public void Fail(SourcePosition position, string message) => Errors.Add(new(position, message));

        public Runbook? Read(YamlMappingNode root)
        {
            var fields = Fields(root, TopLevelKeys, "runbook");
            var name = Name(fields, "name", root, required: true, "runbook") ?? "";
            var variables = fields.TryGetValue("variables", out var variableNode) ? Variables(variableNode) : [];
            _objectives = fields.TryGetValue("objectives", out var objectives) ? Objectives(objectives) : [];
            var targets = fields.TryGetValue("targets", out var targetNode) ? Targets(targetNode) : [];
            _targets = targets.Select(t => t.Name).ToHashSet();
            _sandboxTargets = targets.Where(t => t.Sandbox is not null).Select(t => t.Name).ToHashSet();
            var preChecks = Steps(fields, "preChecks", RunbookSection.PreCheck, required: false);
            var abortConditions = fields.TryGetValue("abortConditions", out var abortNode) ? AbortConditions(abortNode) : [];
            var steps = Steps(fields, "steps", RunbookSection.Step, required: true);
            var cleanup = Steps(fields, "cleanup", RunbookSection.Cleanup, required: false);
            return new Runbook
            {
                Name = name,
                TestType = Name(fields, "type", root, required: false, "runbook") ?? name,
                Description = Scalar(fields, "description", root, required: false, "runbook"),
                Source = source,
                Objectives = _objectives,
                Targets = targets,
                PreChecks = preChecks,
                Steps = steps,
                Cleanup = cleanup,
                AbortConditions = abortConditions,
                Notify = fields.TryGetValue("notify", out var notifyNode) ? Notify(notifyNode) : [],
                Variables = variables,
            };
        }

        /// <summary>variables: NAME: default — strings a runbook uses as ${NAME}, set at run time with --var / -Variable.</summary>
        private Dictionary<string, string> Variables(YamlNode node)
        {
            var variables = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is not YamlMappingNode mapping)
            {
                Fail(SourcePosition.Of(node), "variables: expected a mapping of names to default values, e.g. namespace: drill.");
                return variables;
            }
            foreach (var (keyNode, value) in mapping.Children)
            {
                var name = (keyNode as YamlScalarNode)?.Value ?? "";
                if (!Identifier().IsMatch(name) || name == "run") Fail(SourcePosition.Of(keyNode),
                    $"variables: '{name}' is not a variable name (letters, digits and _; not run).");
                else if (value is not YamlScalarNode { Value: { } text }) Fail(SourcePosition.Of(value),
                    $"variables.{name}: expected a default value (a string).");
                else
                {
                    variables[name] = text;
                    _variables[name] = typeof(string);
                }
            }
            return variables;
        }

        /// <summary>notify: a URL, or a list of URLs and { url: …, format: json | slack | teams }.</summary>
        private List<NotifyTarget> Notify(YamlNode node)
        {
            var targets = new List<NotifyTarget>();
            IEnumerable<YamlNode> items = node is YamlSequenceNode sequence ? sequence.Children : [node];
            foreach (var (item, index) in items.Select((item, index) => (item, index)))
            {
                var where = node is YamlSequenceNode ? $"notify[{index}]" : "notify";
                var (url, format) = item is YamlMappingNode ? UrlAndFormat(item, where) : ((item as YamlScalarNode)?.Value, null);
                if (url is null)
                {
                    if (item is not YamlMappingNode) Fail(SourcePosition.Of(item),
                        $"{where}: expected a webhook URL or {{ url: …, format: json | slack | teams }}.");
                    continue;
                }
                try
                {
                    targets.Add(NotifyTarget.Parse(url, format, where));
                }
                catch (DrToolsException e)
                {
                    Fail(SourcePosition.Of(item), e.Message);
                }
            }
            return targets;
        }

        private (string? Url, string? Format) UrlAndFormat(YamlNode item, string where)
        {
            var fields = Fields(item, ["url", "format"], where);
            return (Scalar(fields, "url", item, required: true, where), Scalar(fields, "format", item, required: false, where));
        }

        private List<RunbookObjective> Objectives(YamlNode node)
        {
            var list = new List<RunbookObjective>();
            foreach (var (key, value) in Fields(node, ObjectiveNames, "objectives"))
            {
                var target = key switch
                {
                    "maxErrorRate" => Typed(value, text => double.TryParse(text.TrimEnd('%').Trim(),
                        System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var percent)
                        && percent is >= 0 and <= 100
                        ? percent
                        : throw new DrToolsException($"objectives.maxErrorRate: '{text}' is not a percentage from 0 to 100, e.g. 5%.")),
                    "p99" => Duration(value, $"objectives.p99", DurationText.MaxAge)?.TotalMilliseconds,
                    "minReady" => Integer(value, "objectives.minReady", 0, 10_000),
                    _ => Duration(value, $"objectives.{key}", DurationText.MaxAge)?.TotalSeconds,
                };
                if (target is { } given) list.Add(new(key, given));
            }
            return list;
        }

        private List<RunbookStep> Steps(Dictionary<string, YamlNode> fields, string key, RunbookSection section, bool required)
        {
            var list = new List<RunbookStep>();
            if (!fields.TryGetValue(key, out var node))
            {
                if (required) Fail(new(1, 1), $"the runbook has no {key}: list.");
                return list;
            }
            if (node is not YamlSequenceNode sequence)
            {
                Fail(SourcePosition.Of(node), $"{key}: expected a list of steps, each {{ run: OPERATION, with: {{ ... }} }}.");
                return list;
            }
            if (required && sequence.Children.Count == 0) Fail(SourcePosition.Of(node), $"{key}: the list is empty.");
            foreach (var item in sequence.Children)
            {
                if (Step(item, section, list.Count, StepKeys) is { } step) list.Add(step);
            }
            return list;
        }

        private RunbookStep? Step(YamlNode node, RunbookSection section, int index, string[] keys)
        {
            var label = $"{section.Label()} {index + 1}";
            var fields = Fields(node, keys, label);
            if (node is not YamlMappingNode) return null;
            var operationName = Scalar(fields, "run", node, required: false, label);
            var script = Scalar(fields, "script", node, required: false, label);
            var name = Name(fields, "name", node, required: false, label) ?? operationName ?? "script";
            var where = $"{label} '{name}'";
            RunbookOperation? operation = null;
            if ((operationName is null) == (script is null))
            {
                Fail(SourcePosition.Of(node),
                    $"{where}: give run: OPERATION (one of {string.Join(", ", OperationCatalog.All.Select(o => o.Name))}) or script: "
                    + $"(PowerShell).");
            }
            else if (operationName is not null)
            {
                operation = OperationCatalog.Find(operationName);
                if (operation is null) Fail(SourcePosition.Of(fields["run"]),
                    $"{where}: unknown operation '{operationName}' (known: "
                    + $"{string.Join(", ", OperationCatalog.All.Select(o => o.Name))}).");
            }
            else if (!scriptSteps)
            {
                Fail(SourcePosition.Of(fields["script"]),
                    $"{where}: script: steps are PowerShell and run only under Invoke-DrRunbook; drtools runs operations (run:).");
            }
            var arguments = fields.TryGetValue("with", out var withNode) ? Arguments(withNode, operation, script is not null, where) : [];
            if (operation is not null && withNode is null or YamlMappingNode) CheckRequired(operation, arguments, node, where);
            var timeout = fields.TryGetValue("timeout", out var timeoutNode) ? Duration(timeoutNode, $"{where} timeout", positive: true)
                : null;
            var objectives = fields.TryGetValue("objective", out var objectiveNode) ? StepObjectives(objectiveNode, operation, where) : [];
            var save = Scalar(fields, "save", node, required: false, where);
            if (save is not null)
            {
                if (!Identifier().IsMatch(save) || save == "run") Fail(SourcePosition.Of(fields["save"]),
                    $"{where}: save: '{save}' is not a usable variable name (letters, digits and _, not 'run').");
                else if (_variables.ContainsKey(save)) Fail(SourcePosition.Of(fields["save"]),
                    $"{where}: save: ${{{save}}} is already saved by an earlier step.");
                else _variables[save] = operation?.OutputType ?? typeof(object);
            }
            return new RunbookStep
            {
                Section = section,
                Index = index,
                Name = name,
                Operation = operation,
                Script = script,
                Arguments = arguments,
                Timeout = timeout ?? (section == RunbookSection.Cleanup ? DefaultCleanupTimeout : DefaultStepTimeout),
                ContinueOnError = fields.TryGetValue("continueOnError", out var continueNode) && (Boolean(continueNode,
                    $"{where} continueOnError") ?? false),
                Save = save,
                Objectives = objectives,
                Remediation = Scalar(fields, "remediation", node, required: false, where),
                Position = SourcePosition.Of(node),
            };
        }

        private Dictionary<string, YamlNode> Arguments(YamlNode node, RunbookOperation? operation, bool script, string where)
        {
            var arguments = new Dictionary<string, YamlNode>(StringComparer.OrdinalIgnoreCase);
            if (node is not YamlMappingNode mapping)
            {
                Fail(SourcePosition.Of(node), $"{where}: with: expected a mapping of parameters, e.g. with: {{ target: db }}.");
                return arguments;
            }
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = ((YamlScalarNode)keyNode).Value ?? "";
                if (script)
                {
                    // A script sees its arguments as PowerShell variables; only the variables inside them are checked.
                    ArgumentBinder.Check(new OperationParameter(key, ParameterKind.String, ""), value, _variables, _targets,
                        $"{where} {key}").ToList().ForEach(Errors.Add);
                    arguments[key] = value;
                    continue;
                }
                if (operation is null) continue;
                var parameter = operation.Parameter(key);
                if (parameter is null)
                {
                    Fail(SourcePosition.Of(keyNode),
                        $"{where}: {operation.Name} has no parameter '{key}' (parameters: "
                        + $"{string.Join(", ", operation.Parameters.Select(p => p.Name))}).");
                    continue;
                }
                Errors.AddRange(ArgumentBinder.Check(parameter, value, _variables, _targets, $"{where} {parameter.Name}"));
                if (parameter.SandboxOnly && value is YamlScalarNode { Value: { } target } && _targets.Contains(target)
                    && !_sandboxTargets.Contains(target))
                {
                    Fail(SourcePosition.Of(value),
                        $"{where} {parameter.Name}: '{target}' is not a sandbox target; {operation.Name} removes only sandboxes the "
                        + $"runbook creates.");
                }
                arguments[parameter.Name] = value;
            }
            return arguments;
        }

        private void CheckRequired(RunbookOperation operation, IReadOnlyDictionary<string, YamlNode> arguments, YamlNode node, string where)
        {
            foreach (var missing in operation.Parameters.Where(p => p.Required && !arguments.ContainsKey(p.Name)))
            {
                Fail(SourcePosition.Of(node), $"{where}: {operation.Name} needs {missing.Name} ({missing.Describe()}).");
            }
            foreach (var group in operation.ExactlyOneOf.Where(g => g.Count(arguments.ContainsKey) != 1))
            {
                Fail(SourcePosition.Of(node), $"{where}: {operation.Name} needs exactly one of {string.Join(", ", group)}.");
            }
        }

        private List<string> StepObjectives(YamlNode node, RunbookOperation? operation, string where)
        {
            var names = Strings(node, $"{where} objective");
            foreach (var name in names)
            {
                if (!_objectives.Any(o => o.Name == name))
                    Fail(SourcePosition.Of(node),
                        $"{where}: objective '{name}' is not among the runbook's objectives "
                        + $"({(_objectives.Count == 0 ? "none set" : string.Join(", ", _objectives.Select(o => o.Name)))}).");
                else if (name != "rto" && operation is not null && !operation.Measures.Contains(name))
                    Fail(SourcePosition.Of(node),
                        $"{where}: {operation.Name} does not measure {ObjectiveKind.Of(name).Measures}, so it cannot count toward {name} "
                        + $"(operations that do: "
                        + $"{string.Join(", ", OperationCatalog.All.Where(o => o.Measures.Contains(name)).Select(o => o.Name))}).");
            }
            return names;
        }

        private List<AbortCondition> AbortConditions(YamlNode node)
        {
            var list = new List<AbortCondition>();
            if (node is not YamlSequenceNode sequence)
            {
                Fail(SourcePosition.Of(node),
                    "abortConditions: expected a list, each { name: ..., http: URL } or { name: ..., run: OPERATION, with: { ... } }.");
                return list;
            }
            foreach (var item in sequence.Children)
            {
                var label = $"abort condition {list.Count + 1}";
                var fields = Fields(item, AbortKeys, label);
                if (item is not YamlMappingNode) continue;
                var http = Scalar(fields, "http", item, required: false, label);
                var hasRun = fields.ContainsKey("run");
                if ((http is null) == !hasRun)
                {
                    Fail(SourcePosition.Of(item),
                        $"{label}: give http: URL (a health endpoint that must keep answering 2xx) or run: OPERATION that must keep "
                        + $"passing.");
                    continue;
                }
                Uri? uri = null;
                if (http is not null && (!Uri.TryCreate(http, UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https")))
                {
                    Fail(SourcePosition.Of(fields["http"]), $"{label}: '{http}' is not an http:// or https:// URL.");
                }
                var check = hasRun ? Step(item, RunbookSection.AbortCondition, list.Count, AbortKeys) : null;
                if (check is { Save: not null } || check?.Objectives.Count > 0) Fail(SourcePosition.Of(item),
                    $"{label}: an abort condition cannot save: or count toward an objective.");
                list.Add(new AbortCondition
                {
                    Name = Name(fields, "name", item, required: false, label) ?? http ?? check?.Name ?? label,
                    Check = check,
                    Http = uri,
                    ExpectStatus = fields.TryGetValue("expectStatus", out var statusNode) ? Integer(statusNode, $"{label} expectStatus",
                        100, 599) : null,
                    Interval = (fields.TryGetValue("interval", out var intervalNode) ? Duration(intervalNode, $"{label} interval",
                        positive: true) : null) ?? TimeSpan.FromSeconds(1),
                    Timeout = (fields.TryGetValue("timeout", out var timeoutNode) ? Duration(timeoutNode, $"{label} timeout",
                        positive: true) : null) ?? TimeSpan.FromSeconds(10),
                    Failures = (fields.TryGetValue("failures", out var failuresNode) ? Integer(failuresNode, $"{label} failures", 1, 1000)
                        : null) ?? 1,
                    Position = SourcePosition.Of(item),
                });
            }
            return list;
        }

        private Dictionary<string, YamlNode> Fields(YamlNode node, string[] allowed, string where)
        {
            var fields = new Dictionary<string, YamlNode>();
            if (node is not YamlMappingNode mapping)
            {
                Fail(SourcePosition.Of(node), $"{where}: expected a mapping ({string.Join(", ", allowed.Select(k => k + ":"))}).");
                return fields;
            }
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                var known = allowed.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
                if (known is null) Fail(SourcePosition.Of(keyNode),
                    $"{where}: unknown key '{key}' (expected {string.Join(", ", allowed)}).");
                else fields[known] = value;
            }
            return fields;
        }

        private string? Scalar(Dictionary<string, YamlNode> fields, string key, YamlNode owner, bool required, string where)
        {
            if (!fields.TryGetValue(key, out var node))
            {
                if (required) Fail(SourcePosition.Of(owner), $"{where}: {key}: is missing.");
                return null;
            }
            if (node is YamlScalarNode { Value: { Length: > 0 } value }) return value;
            Fail(SourcePosition.Of(node), $"{where}: {key}: expected a non-empty string.");
            return null;
        }

        /// <summary>A runbook's or a step's name or type: one line (see <see cref="PrintableText.NameProblem"/>).</summary>
        private string? Name(Dictionary<string, YamlNode> fields, string key, YamlNode owner, bool required, string where)
        {
            var name = Scalar(fields, key, owner, required, where);
            if (name is null || PrintableText.NameProblem(name) is not { } problem) return name;
            Fail(SourcePosition.Of(fields[key]), $"{where}: {key}: {problem}");
            return null;
        }

        private List<string> Strings(YamlNode node, string where)
        {
            switch (node)
            {
                case YamlScalarNode { Value: { Length: > 0 } value }:
                    return [value];
                case YamlSequenceNode sequence when sequence.Children.All(c => c is YamlScalarNode { Value.Length: > 0 })
                    && sequence.Children.Count > 0:
                    return sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
                default:
                    Fail(SourcePosition.Of(node), $"{where}: expected a string or a list of strings.");
                    return [];
            }
        }

        private TimeSpan? Duration(YamlNode node, string where, TimeSpan? max = null, bool positive = false) => Typed(node,
            text => DurationText.Parse(text, where, max, positive));

        private int? Integer(YamlNode node, string where, int min, int max) => Typed(node, text =>
            int.TryParse(text, out var value) && value >= min && value <= max ? value
                : throw new DrToolsException($"{where}: '{text}' is not a whole number from {min} to {max}."));

        private bool? Boolean(YamlNode node, string where) => Typed(node, text =>
            ArgumentBinder.Boolean(text) ?? throw new DrToolsException($"{where}: '{text}' is not true or false."));

        private T? Typed<T>(YamlNode node, Func<string, T> convert) where T : struct
        {
            try
            {
                return node is YamlScalarNode { Value: { } text } ? convert(text)
                    : throw new DrToolsException("expected a single value, not a list or mapping.");
            }
            catch (DrToolsException e)
            {
                Fail(SourcePosition.Of(node), e.Message);
                return null;
            }
        }
    }
}
