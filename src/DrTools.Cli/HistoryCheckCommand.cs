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
            + "split-brain and indeterminate writes, and the journal's figures recomputed. Exit 0 PASS and the journal agrees, 1 lost "
            + "acknowledged writes, split brain or a figure the journal reports differently, 2 a missing or malformed file.")
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
        foreach (var drill in verification.Drills) Print(drill);
        if (verification.JournalFile is null) Console.WriteLine("no journal.json beside it: figures not compared");
        else if (verification.Disagreements.Count == 0)
        {
            Console.WriteLine($"the {verification.FiguresCompared} figure(s) of {verification.JournalFile} agree with the history");
        }
        foreach (var disagreement in verification.Disagreements) Console.WriteLine($"DISAGREES with the journal: {disagreement}");
        Console.WriteLine($"verdict: {(verification.Passed ? "PASS" : "FAIL")}");
    }

    private static void Print(ProbeHistoryCheck drill)
    {
        Console.WriteLine($"drill {drill.Drill} (final read on {drill.FinalNode})");
        Console.WriteLine($"  acknowledged writes: {drill.Loss.Acknowledged}; lost: {drill.Loss.LostSequences.Count}"
            + Sequences(drill.Loss.LostSequences));
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
    }

    private static string Sequences(IReadOnlyList<long> sequences) =>
        sequences.Count == 0 ? "" : $" ({string.Join(", ", sequences.Take(10))}{(sequences.Count > 10 ? ", …" : "")})";
}
