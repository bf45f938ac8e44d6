namespace DrTools.Core.Backups;

/// <summary>Grandfather-father-son retention: the newest backup of each of the last N days, W ISO weeks and M months that have
/// backups.</summary>
public sealed record RetentionPolicy(int Daily, int Weekly, int Monthly)
{
    public override string ToString() => $"keep {Daily} daily, {Weekly} weekly, {Monthly} monthly";
}
