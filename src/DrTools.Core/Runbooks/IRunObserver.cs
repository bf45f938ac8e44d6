namespace DrTools.Core.Runbooks;

/// <summary>Live progress of a run, for the CLI's console and PowerShell's Write-Progress.</summary>
public interface IRunObserver
{
    void StepStarted(StepRecord step);
    void StepFinished(StepRecord step);
    void Note(string message);
}
