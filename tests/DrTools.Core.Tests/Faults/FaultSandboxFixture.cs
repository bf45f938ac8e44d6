using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>A sandbox shared by the tests of a class; every fault of this process is undone before it goes (the classes that use one run one at a time, in the "Faults" collection).</summary>
public abstract class FaultSandboxFixture(SandboxOptions options) : IAsyncLifetime
{
    public TemporaryRoot Root { get; } = new();
    public Sandbox Sandbox { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sandbox = await Sandbox.CreateAsync(options with { Root = Root.Path }, CancellationToken.None);
        await PrepareAsync();
    }

    protected virtual Task PrepareAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Faults.Faults.StopAllAsync(CancellationToken.None);
        await Sandbox.DisposeAsync();
        Root.Dispose();
    }
}
