using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Probes;
using DrTools.Core.Runbooks;

namespace DrTools.Cli;

/// <summary>
/// drtools history check: re-runs the probe-history checker on a stored history.jsonl, so anyone can re-check a drill's figures.
/// </summary>
public static class HistoryCheckCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("run") { Description = "A run's folder in the drill history, or its history.jsonl." };
        var json = CommonOptions.Json();
        var command = new Command("check", "Re-check a drill from its history.jsonl alone: lost, stale reads, never read, duplicated, "
            + "split-brain and indeterminate writes, the journal's figures recomputed and its objectives held to them. The verdict is "
            + "the drill's: with the journal beside it, every figure agrees, every objective (RTO, RPO, stale reads) is met on the "
            + "history's figures and no write is split brain (lost writes without an RPO objective are reported, not a FAIL); without "
            + "one, any lost or split-brain write is a FAIL. Exit 0 PASS, 1 FAIL or a drill not decided (it ended with an error "
            + "before its final read), 2 a missing or malformed file.")
        {
            path, json,
        };
        command.SetAction(parse =>
        {
            var verification = HistoryVerifier.Verify(parse.GetValue(path)!);
            if (parse.GetValue(json)) Output.Json(verification);
            else Print(verification);
            return verification.Passed ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static void Print(HistoryVerification verification)
    {
        Console.WriteLine(verification.HistoryFile);
        foreach (var drill in verification.Drills) Print(drill, verification);
        foreach (var drill in verification.NotDecided)
        {
            Console.WriteLine($"drill {drill.Drill}: not decided: {HistoryOperation.EndedBeforeFinalRead}: {drill.Error} "
                + $"({drill.Writes} write(s) and {drill.Reads} read(s) recorded until then)");
        }
        if (verification.JournalFile is null)
        {
            Console.WriteLine($"figures not compared: {HistoryVerification.RuleWithoutJournal} (the rule that decided)");
        }
        else if (verification.Disagreements.Count == 0)
        {
            Console.WriteLine($"the {verification.FiguresCompared} figure(s) of {verification.JournalFile} agree with the history");
        }
        foreach (var disagreement in verification.Disagreements) Console.WriteLine($"DISAGREES with the journal: {disagreement}");
        foreach (var failure in verification.JournalFailures)
        {
            Console.WriteLine($"FAILED in the journal, on what the history does not hold (not re-checked here): {failure}");
        }
        Console.WriteLine($"verdict: {(verification.Passed ? "PASS" : "FAIL")}");
    }

    private static void Print(ProbeHistoryCheck drill, HistoryVerification verification)
    {
        Console.WriteLine($"drill {drill.Drill} (final read on {drill.FinalNode})");
        var lost = drill.Loss.LostSequences;
        Console.WriteLine($"  acknowledged writes: {drill.Loss.Acknowledged}; lost: {lost.Count}{Sequences(lost)}"
            + (lost.Count == 0 || verification.JournalFile is null || verification.LossHeldToObjective(drill.Drill) ? ""
                : " (no RPO objective in the journal: reported, not a FAIL; Jepsen's set-full checker calls such a history invalid)"));
        Console.WriteLine($"  indeterminate writes (maybe committed, never counted as lost): {drill.Indeterminate.Count}, "
            + $"{drill.IndeterminatePresent.Count} of them present at the end");
        if (drill.FailedPresent.Count > 0)
        {
            Console.WriteLine($"  failed writes present at the end (refused, yet committed): {drill.FailedPresent.Count}"
                + Sequences(drill.FailedPresent));
        }
        var first = drill.StaleReads.FirstOrDefault();
        Console.WriteLine($"  stale reads: {drill.StaleReads.Count}" + (first is null ? ""
            : $" (the first at +{Measurement.Format(Math.Round(first.Invoke.TotalSeconds, 3))} s by {first.Node}, "
                + $"missed{Sequences(first.Missed)})"));
        Console.WriteLine($"  never read (acknowledged, no probe read returned it): {drill.NeverRead.Count}");
        Console.WriteLine($"  duplicated: {drill.Duplicated.Count}{Sequences(drill.Duplicated)}");
        Console.WriteLine(drill.SplitBrain is { } split
            ? $"  split-brain writes (acknowledged by another member once {drill.FinalNode} was primary): {split.Count}"
                + (split.Count == 0 ? "" : $" by {string.Join(", ", split.Members)}")
            : "  split-brain writes: not decided (the history does not say since when the final primary was one)");
        foreach (var figure in drill.Figures) Console.WriteLine($"  {figure.Name}: {Measurement.Format(figure.Measured)} {figure.Unit}");
        foreach (var objective in verification.Objectives.Where(o => o.Drill == drill.Drill)) Console.WriteLine($"  {Text(objective)}");
    }

    /// <summary>An objective as the history holds it: "objective write unavailability (RTO) ≤ 30 s: met on the history (0.52 s)".</summary>
    private static string Text(HistoryObjective objective)
    {
        var target = FigureText.Target(objective.Target, objective.Journal.Unit);
        string Verdict(bool? met) => met == true ? "met" : "NOT met";
        if (objective.History is not { } history)
        {
            return $"{objective.Figure} {target}: {Verdict(objective.Journal.Met)} in the journal (the history does not hold it: "
                + "not re-checked here)";
        }
        var on = $"{Verdict(objective.Met)} on the history ({history.ExactText}; the journal: {Verdict(objective.Journal.Met)})";
        return objective.Decides ? $"objective {objective.Figure} {target}: {on}"
            : $"{objective.Figure} {target}: {on}, beside the RTO window: the drill's verdict does not take it";
    }

    private static string Sequences(IReadOnlyList<long> sequences) =>
        sequences.Count == 0 ? "" : $" ({string.Join(", ", sequences.Take(10))}{(sequences.Count > 10 ? ", …" : "")})";
}
