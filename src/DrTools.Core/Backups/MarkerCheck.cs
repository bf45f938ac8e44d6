namespace DrTools.Core.Backups;

public sealed record MarkerCheck(string Query, bool MustExist, bool Found)
{
    public bool Passed => Found == MustExist;
}
