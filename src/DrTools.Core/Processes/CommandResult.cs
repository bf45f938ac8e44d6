using System.Diagnostics;
using System.Text;

namespace DrTools.Core.Processes;

public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);
