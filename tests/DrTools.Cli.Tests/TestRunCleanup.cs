using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("DrTools.Cli.Tests.TestRunCleanup", "DrTools.Cli.Tests")]

namespace DrTools.Cli.Tests;

/// <summary>
/// xunit's own test framework, which also removes what the run as a whole made once every test is done. Not at process
/// exit: the test platform kills a test host about 100 ms after its tests end (VSTEST_TESTHOST_SHUTDOWN_TIMEOUT), often
/// before an exit handler has run.
/// </summary>
public sealed class TestRunCleanup : XunitTestFramework
{
    public TestRunCleanup(IMessageSink diagnosticMessageSink) : base(diagnosticMessageSink) =>
        DisposalTracker.Add(new RunEnd());

    private sealed class RunEnd : IDisposable
    {
        public void Dispose() => Drtools.RemoveOwnHistory();
    }
}
