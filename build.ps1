#Requires -Version 7.6
<#
.SYNOPSIS
    Builds, tests and packages DrTools.
.DESCRIPTION
    Build    compiles the solution.
    Package  lays out the loadable module in output/DrTools/<version>/ (version from module/DrTools.psd1), with its
             MAML help generated from src/DrTools.PowerShell/Help/ and the shipped runbooks.
    Test     builds, publishes (below), and runs the xunit suites (real servers) beside the Pester tests in tests/pester,
             which run against the packaged module and the packages.
             Pester 5 as installed, else the version pinned in Directory.Packages.props, restored from NuGet into
             output/modules/ (build/BuildTools.csproj).
    Publish  packages the module, then writes to output/publish/ the module's package for a PowerShell repository
             (DrTools.<version>.nupkg, for Publish-PSResource / Install-PSResource) and the drtools dotnet tool's
             package (DrTools.Cli.<version>.nupkg, for dotnet tool install --add-source).
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Publish')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$version = (Import-PowerShellDataFile "$root/module/DrTools.psd1").ModuleVersion

function Invoke-Dotnet {
    dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Package {
    Invoke-Dotnet publish "$root/src/DrTools.PowerShell" -c $Configuration
    $module = "$root/output/DrTools/$version"
    # MAML help from the help source beside the cmdlets and their compiled metadata, in a process of its own.
    & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File "$root/src/DrTools.PowerShell/Help/New-MamlHelp.ps1" -ModuleManifest "$module/DrTools.psd1" | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "help generation failed with exit code $LASTEXITCODE" }
    $module
}

function Invoke-Publish {
    $module = Invoke-Package | Select-Object -Last 1
    $publish = "$root/output/publish"
    Remove-Item $publish -Recurse -Force -ErrorAction Ignore
    New-Item -ItemType Directory $publish | Out-Null
    # The module's package as a PowerShell repository takes it (its manifest checked by PSResourceGet on the way).
    Compress-PSResource -Path $module -DestinationPath $publish
    Invoke-Dotnet pack "$root/src/DrTools.Cli" -c $Configuration -o $publish | Out-Host
    Get-ChildItem $publish -Filter *.nupkg | ForEach-Object FullName | Out-Host
    $publish
}

function Import-Pester {
    if (-not (Get-Module -ListAvailable Pester | Where-Object Version -GE '5.0')) {
        # None installed: the pinned package from NuGet, its tools/ folder (the module) laid out on a module path of ours.
        $packages = "$root/output/packages"
        # --force: its obj/ may say "restored" while output/ was deleted.
        Invoke-Dotnet restore "$root/build/BuildTools.csproj" --packages $packages --force | Out-Host
        $package = Get-ChildItem "$packages/pester" -Directory | Sort-Object { [version]$_.Name } | Select-Object -Last 1
        $modules = "$root/output/modules"
        Remove-Item "$modules/Pester" -Recurse -Force -ErrorAction Ignore
        New-Item -ItemType Directory "$modules/Pester" | Out-Null
        Copy-Item "$($package.FullName)/tools" "$modules/Pester/$($package.Name)" -Recurse
        $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
    }
    $pester = Import-Module Pester -MinimumVersion 5.0 -PassThru -ErrorAction Stop
    Write-Host "Pester $($pester.Version) from $($pester.ModuleBase)"
}

function Format-Elapsed([TimeSpan] $Elapsed) { '{0} m {1} s' -f [int][Math]::Floor($Elapsed.TotalMinutes), $Elapsed.Seconds }

# The slowest tests of both suites and the Pester files' own times: where a run's minutes go.
function Write-Slowest($Pester, $Help, [string] $TrxFolder) {
    $xunitTests = Get-ChildItem $TrxFolder -Filter *.trx -Recurse -ErrorAction Ignore | ForEach-Object {
        # Literal: two assemblies that start in the same second get "name.trx" and "name[1].trx", not a wildcard.
        ([xml](Get-Content -Raw -LiteralPath $_.FullName)).TestRun.Results.UnitTestResult |
            ForEach-Object { [pscustomobject]@{ Seconds = ([TimeSpan]$_.duration).TotalSeconds; Name = $_.testName } }
    }
    $pesterTests = @($Pester.Tests | ForEach-Object { [pscustomobject]@{ Seconds = $_.Duration.TotalSeconds; Name = $_.ExpandedPath } }) +
        @($Help.Tests)
    $pesterFiles = @($Pester.Containers | ForEach-Object { [pscustomobject]@{ Seconds = $_.Duration.TotalSeconds; Name = Split-Path -Leaf $_.Item } }) +
        @($Help.Files)
    Write-Host "xunit: $(@($xunitTests).Count) tests, $([int]($xunitTests | Measure-Object Seconds -Sum).Sum) s of test time; slowest:"
    $xunitTests | Sort-Object Seconds -Descending | Select-Object -First 25 |
        ForEach-Object { Write-Host ('  {0,6:0.0} s  {1}' -f $_.Seconds, $_.Name) }
    Write-Host "Pester files:"
    $pesterFiles | Sort-Object Seconds -Descending | ForEach-Object { Write-Host ('  {0,6:0.0} s  {1}' -f $_.Seconds, $_.Name) }
    Write-Host "Pester: slowest tests:"
    $pesterTests | Sort-Object Seconds -Descending | Select-Object -First 15 |
        ForEach-Object { Write-Host ('  {0,6:0.0} s  {1}' -f $_.Seconds, $_.Name) }
}

switch ($Task) {
    'Build' { Invoke-Dotnet build "$root/DrTools.sln" -c $Configuration }
    'Package' { Invoke-Package }
    'Publish' { Invoke-Publish }
    'Test' {
        Write-Host "PowerShell $($PSVersionTable.PSVersion) from $PSHOME (process $([Environment]::ProcessPath))"
        Import-Pester
        # Drills run on their own are recorded in the drill history: a test run's go to a folder of its own, removed after.
        $ownHistory = -not $env:DRTOOLS_HISTORY
        if ($ownHistory) {
            $env:DRTOOLS_HISTORY = Join-Path ([IO.Path]::GetTempPath()) "drtools-test-history-$([guid]::NewGuid().ToString('n'))"
        }
        # One build serves the xunit suites and the packages. The xunit assemblies (side by side, each one's own duration on
        # its summary line) then run beside the Pester tests: both mostly wait on servers. Their output goes to a file,
        # printed whole when they end, so neither suite's lines are cut into the other's.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Invoke-Dotnet build "$root/DrTools.sln" -c $Configuration
        # The packages too: a test installs them as users do.
        $env:DRTOOLS_PACKAGES = Invoke-Publish | Select-Object -Last 1
        $env:DRTOOLS_MODULE_MANIFEST = "$root/output/DrTools/$version/DrTools.psd1"
        Write-Host "suite time: build and packages $(Format-Elapsed $clock.Elapsed)"
        $xunitLog = Join-Path ([IO.Path]::GetTempPath()) "drtools-xunit-$([guid]::NewGuid().ToString('n')).log"
        # Each suite records its faults in a folder of its own: a fault list or `stop --all` in one suite must not
        # see, or undo, the faults the other holds (each keeps the other's nftables tables: their maker is running).
        $savedFaultState = $env:DRTOOLS_FAULT_STATE
        $faultStates = 'xunit', 'pester', 'pester-help' | ForEach-Object {
            Join-Path ([IO.Path]::GetTempPath()) "drtools-test-faults-$_-$([guid]::NewGuid().ToString('n'))"
        }
        $xunitClock = [Diagnostics.Stopwatch]::StartNew()
        $env:DRTOOLS_FAULT_STATE = $faultStates[0]
        # Each test's duration goes to a TRX file per assembly: the slowest are printed after the run (where time goes).
        $trx = Join-Path ([IO.Path]::GetTempPath()) "drtools-trx-$([guid]::NewGuid().ToString('n'))"
        $xunit = Start-Process dotnet -ArgumentList 'test', "$root/DrTools.sln", '-c', $Configuration, '--no-build', '--logger', 'trx',
            '--results-directory', $trx -NoNewWindow `
            -PassThru -RedirectStandardOutput $xunitLog -RedirectStandardError "$xunitLog.err"
        # The help's examples (each builds its own servers: the longest Pester file by far) in a Pester process of their
        # own beside the other Pester files, so that neither Pester run is the run's longest chain alone.
        $helpFile = "$root/tests/pester/Help.Tests.ps1"
        $helpLog = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-help-$([guid]::NewGuid().ToString('n')).log"
        $env:DRTOOLS_FAULT_STATE = $faultStates[2]
        $help = Start-Process (Join-Path $PSHOME 'pwsh') -NoNewWindow -PassThru -RedirectStandardOutput $helpLog `
            -RedirectStandardError "$helpLog.err" -ArgumentList '-NoProfile', '-NonInteractive', '-File',
            "$root/build/Invoke-PesterFile.ps1", '-Path', $helpFile, '-TimesFile', "$helpLog.json"
        $env:DRTOOLS_FAULT_STATE = $faultStates[1]
        try {
            $pester = New-PesterConfiguration
            # The module's own tests, and the documented example of a drill as a Pester test (so it stays true).
            $pester.Run.Path = "$root/tests/pester", "$root/tests/examples"
            $pester.Run.ExcludePath = $helpFile
            $pester.Run.PassThru = $true
            $pester.Output.Verbosity = 'Detailed'
            $clock.Restart()
            $result = Invoke-Pester -Configuration $pester
            Write-Host "suite time: Pester $(Format-Elapsed $clock.Elapsed)"
            $help.WaitForExit()
            Write-Host "suite time: Pester help examples $(Format-Elapsed $clock.Elapsed)"
            Get-Content $helpLog, "$helpLog.err" | Out-Host
            $helpExit = $help.ExitCode
            $helpTimes = if (Test-Path "$helpLog.json") { Get-Content "$helpLog.json" -Raw | ConvertFrom-Json } else { $null }
            $xunit.WaitForExit()
            Write-Host "suite time: xunit (all assemblies) $(Format-Elapsed $xunitClock.Elapsed)"
            Get-Content $xunitLog, "$xunitLog.err" | Out-Host
            $xunitExit = $xunit.ExitCode
            Write-Slowest $result $helpTimes $trx
        }
        finally {
            # Stopped or failed before the xunit run ended: it does not outlive this one.
            if (-not $xunit.HasExited) { $xunit.Kill($true); $xunit.WaitForExit() }
            if (-not $help.HasExited) { $help.Kill($true); $help.WaitForExit() }
            Remove-Item $xunitLog, "$xunitLog.err", $trx, $helpLog, "$helpLog.err", "$helpLog.json" -Recurse -ErrorAction Ignore
            Remove-Item $faultStates -Recurse -Force -ErrorAction Ignore
            $env:DRTOOLS_FAULT_STATE = $savedFaultState
            if ($ownHistory) { Remove-Item $env:DRTOOLS_HISTORY -Recurse -Force -ErrorAction Ignore; $env:DRTOOLS_HISTORY = $null }
        }
        # Both suites ran to their end: one run shows every failure.
        if ($xunitExit -ne 0) { throw "dotnet test failed with exit code $xunitExit" }
        if ($helpExit -ne 0) { throw "Pester: the help examples ($helpFile) failed" }
        # A file that fails discovery is a failed container, not a failed test: it fails the run too.
        if ($result.FailedCount -gt 0 -or $result.FailedContainersCount -gt 0 -or $result.Result -ne 'Passed') {
            throw "Pester: $($result.FailedCount) test(s) and $($result.FailedContainersCount) file(s) failed"
        }
    }
}
