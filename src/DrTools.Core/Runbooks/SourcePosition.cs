using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

/// <summary>A place in a runbook file (1-based), so that every error can say where it is.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    internal static SourcePosition Of(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    public override string ToString() => $"{Line}:{Column}";
}
