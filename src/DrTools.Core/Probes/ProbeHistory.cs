using System.Text;
using System.Text.Json;

namespace DrTools.Core.Probes;

/// <summary>
/// A drill's operations as Jepsen records them, written as history.jsonl beside the run's journal (one JSON object per
/// line, times in integer nanoseconds on the drill's monotonic clock) and read back for <c>drtools history check</c>.
/// </summary>
public static class ProbeHistory
{
    public const string FileName = "history.jsonl";

    /// <summary>The fault as the nemesis did it: issued, completed (when known), and what it was.</summary>
    public sealed record Nemesis(TimeSpan Invoke, TimeSpan? Complete, string What);

    /// <summary>The run's sequences on the final primary, read once the probes stopped.</summary>
    public sealed record FinalRead(string Node, TimeSpan? Since, TimeSpan Invoke, TimeSpan Complete, IReadOnlyCollection<long> Sequences);

    /// <summary>A drill's history from its probes' samples, the fault and the final read, in invoke order.</summary>
    public static IReadOnlyList<HistoryOperation> Of(Guid runId, IReadOnlyList<ProbeSample> writes, IReadOnlyList<ProbeSample> reads,
        Nemesis nemesis, FinalRead final)
    {
        var drill = runId.ToString("N");
        var operations = Observed(drill, writes, reads, nemesis);
        operations.Add(new HistoryOperation
        {
            Drill = drill, Process = "final", F = HistoryOperation.FinalRead, Sequences = final.Sequences.Order().ToList(),
            Invoke = final.Invoke, Complete = final.Complete, Node = final.Node, Since = final.Since, Type = OperationOutcome.Ok,
        });
        return operations.OrderBy(o => o.Invoke).ToList();
    }

    /// <summary>
    /// The history of a drill that ended with an error before its final read: every operation its probes observed, the
    /// fault when it was issued, and a drill-error line with the error (on one line) in place of the final read.
    /// </summary>
    public static IReadOnlyList<HistoryOperation> Unfinished(Guid runId, IReadOnlyList<ProbeSample> writes,
        IReadOnlyList<ProbeSample> reads, Nemesis? nemesis, TimeSpan at, string error)
    {
        var drill = runId.ToString("N");
        var operations = Observed(drill, writes, reads, nemesis);
        // A fault the drill never saw complete (its command failed, say) may or may not have taken effect.
        if (nemesis is { Complete: null })
        {
            var fault = operations.FindIndex(o => o.F == HistoryOperation.Fault);
            operations[fault] = operations[fault] with { Type = OperationOutcome.Indeterminate, Error = error.ReplaceLineEndings(" ") };
        }
        operations.Add(new HistoryOperation
        {
            Drill = drill, Process = "drill", F = HistoryOperation.DrillError, Description = HistoryOperation.EndedBeforeFinalRead,
            Invoke = at, Complete = at, Type = OperationOutcome.Fail, Error = error.ReplaceLineEndings(" "),
        });
        return operations.OrderBy(o => o.Invoke).ToList();
    }

    private const string DataKey = "DrTools.ProbeHistory";

    /// <summary>Gives a drill's failure the history it observed, for whoever records the drill's end (a run's step).</summary>
    public static TException Attach<TException>(TException failure, IReadOnlyList<HistoryOperation> history)
        where TException : Exception
    {
        failure.Data[DataKey] = history;
        return failure;
    }

    /// <summary>The history a drill's failure carries (as thrown or wrapped by another exception), or null.</summary>
    public static IReadOnlyList<HistoryOperation>? CarriedBy(Exception failure) =>
        failure.Data[DataKey] as IReadOnlyList<HistoryOperation>
        ?? (failure is AggregateException all ? all.InnerExceptions.Select(CarriedBy).FirstOrDefault(h => h is not null) : null)
        ?? (failure.InnerException is { } inner ? CarriedBy(inner) : null);

    private static List<HistoryOperation> Observed(string drill, IReadOnlyList<ProbeSample> writes, IReadOnlyList<ProbeSample> reads,
        Nemesis? nemesis)
    {
        HistoryOperation Attempt(ProbeSample s, string f) => new()
        {
            Drill = drill, Process = f, Client = s.Client == 0 ? null : s.Client, Connection = s.Connection, F = f,
            Sequence = f == HistoryOperation.Write ? s.Sequence : null,
            Sequences = s.Observed, Limit = s.Observed is null ? null : Probe.ReadNewest,
            Invoke = s.Sent, Complete = s.Acknowledged ?? s.Ended, Node = s.Host,
            Type = s.Succeeded ? OperationOutcome.Ok : s.Indeterminate ? OperationOutcome.Indeterminate : OperationOutcome.Fail,
            Stopped = s.Stopped, Error = s.Error,
        };
        var operations = writes.Select(s => Attempt(s, HistoryOperation.Write))
            .Concat(reads.Select(s => Attempt(s, HistoryOperation.Read))).ToList();
        if (nemesis is not null)
        {
            operations.Add(new HistoryOperation
            {
                Drill = drill, Process = "nemesis", F = HistoryOperation.Fault, Description = nemesis.What,
                Invoke = nemesis.Invoke, Complete = nemesis.Complete, Type = OperationOutcome.Ok,
            });
        }
        return operations;
    }

    /// <summary>The history as JSON Lines, one operation a line; its texts (a fault command, an error) with passwords masked.</summary>
    public static string ToJsonLines(IEnumerable<HistoryOperation> operations)
    {
        var text = new StringBuilder();
        foreach (var operation in operations) text.Append(Line(operation)).Append('\n');
        return text.ToString();
    }

    private static string Line(HistoryOperation o)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("drill", o.Drill);
            json.WriteString("process", o.Process);
            if (o.Client is { } client) json.WriteNumber("client", client);
            if (o.Connection is { } connection) json.WriteNumber("connection", connection);
            json.WriteString("f", o.F);
            json.WritePropertyName("value");
            if (o.Sequence is { } sequence) json.WriteNumberValue(sequence);
            else if (o.Sequences is { } sequences)
            {
                json.WriteStartArray();
                foreach (var value in sequences) json.WriteNumberValue(value);
                json.WriteEndArray();
            }
            else if (o.Description is { } description) json.WriteStringValue(Secrets.Redaction.Text(description));
            else json.WriteNullValue();
            if (o.Limit is { } limit) json.WriteNumber("limit", limit);
            json.WriteNumber("invoke", Nanoseconds(o.Invoke));
            if (o.Complete is { } complete) json.WriteNumber("complete", Nanoseconds(complete));
            else json.WriteNull("complete");
            if (o.Node is { } node) json.WriteString("node", node);
            if (o.Since is { } since) json.WriteNumber("since", Nanoseconds(since));
            json.WriteString("type", o.Type.ToString().ToLowerInvariant());
            if (o.Stopped) json.WriteBoolean("stopped", true);
            if (o.Error is { } error) json.WriteString("error", Secrets.Redaction.Text(error));
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Readable text (an apostrophe stays one); quotes and control characters are still escaped.</summary>
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static long Nanoseconds(TimeSpan at) => at.Ticks * 100;

    /// <summary>Reads a history.jsonl; a line that is not an operation fails with its file and line named.</summary>
    public static IReadOnlyList<HistoryOperation> Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DrToolsException($"{path}: cannot be read: {e.Message}", DrErrorKind.InvalidArgument);
        }
        var operations = new List<HistoryOperation>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            try
            {
                operations.Add(Parse(lines[i]));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                throw new DrToolsException($"{path}:{i + 1}: not a history operation: {e.Message}", DrErrorKind.InvalidArgument);
            }
        }
        if (operations.Count == 0) throw new DrToolsException($"{path}: holds no operation.", DrErrorKind.InvalidArgument);
        return operations;
    }

    private static HistoryOperation Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a line must be one JSON object");
        JsonElement? Field(string name) => root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
        string Text(string name) => Field(name)?.GetString() ?? throw new FormatException($"\"{name}\" is missing");
        TimeSpan? Time(string name) => Field(name) is { } value ? TimeSpan.FromTicks(value.GetInt64() / 100) : null;
        var f = Text("f");
        var value = Field("value");
        var type = Text("type") switch
        {
            "ok" => OperationOutcome.Ok,
            "fail" => OperationOutcome.Fail,
            "indeterminate" => OperationOutcome.Indeterminate,
            var other => throw new FormatException($"\"type\" is '{other}', not ok, fail or indeterminate"),
        };
        if (f is not (HistoryOperation.Write or HistoryOperation.Read or HistoryOperation.Fault or HistoryOperation.FinalRead
            or HistoryOperation.DrillError))
        {
            throw new FormatException($"\"f\" is '{f}', not write, read, fault, final-read or drill-error");
        }
        var operation = new HistoryOperation
        {
            Drill = Text("drill"),
            Process = Text("process"),
            Client = Field("client")?.GetInt32(),
            Connection = Field("connection")?.GetInt32(),
            F = f,
            Sequence = f == HistoryOperation.Write
                ? (value ?? throw new FormatException("a write's \"value\" is its sequence")).GetInt64()
                : null,
            Sequences = value is { ValueKind: JsonValueKind.Array } array
                ? array.EnumerateArray().Select(v => v.GetInt64()).ToList()
                : null,
            Description = value is { ValueKind: JsonValueKind.String } text ? text.GetString() : null,
            Limit = Field("limit")?.GetInt32(),
            Invoke = Time("invoke") ?? throw new FormatException("\"invoke\" is missing"),
            Complete = Time("complete"),
            Node = Field("node")?.GetString(),
            Since = Time("since"),
            Type = type,
            Stopped = Field("stopped")?.GetBoolean() ?? false,
            Error = Field("error")?.GetString(),
        };
        if (type == OperationOutcome.Ok && operation.Complete is null && f != HistoryOperation.Fault)
        {
            throw new FormatException("an ok operation needs \"complete\" (only a fault's may be null: its completion unseen)");
        }
        if (f == HistoryOperation.FinalRead && (operation.Sequences is null || operation.Node is null))
        {
            throw new FormatException("a final-read needs its sequences as \"value\" and its \"node\"");
        }
        return operation;
    }
}
