#Requires -Version 7.6
# DrTools installed the way users install it: the module published to a PowerShell repository and installed from it with
# PSResourceGet, the drtools command as a dotnet tool, both from the packages build.ps1 -Task Publish writes.

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $Version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    $ModuleManifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$Version/DrTools.psd1"
    $Packages = $env:DRTOOLS_PACKAGES ?? "$RepositoryRoot/output/publish"
    Import-Module $ModuleManifest -Force
    $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-publish-$([guid]::NewGuid().ToString('n'))"
    New-Item -ItemType Directory $Work | Out-Null

    # A user of its own, as a plain user has it: PSResourceGet keeps its repositories and CurrentUser modules under
    # HOME/.local/share (PowerShell's user module path, without XDG_DATA_HOME), NuGet its cache under NUGET_PACKAGES;
    # the module path holds only PowerShell's own modules.
    $UserEnvironment = @{
        HOME = "$Work/home"; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null
        NUGET_PACKAGES = "$Work/nuget"; PSModulePath = "$PSHOME/Modules"
    }
    # .NET names no folder that does not exist: PSResourceGet and NuGet would then write into the working folder.
    foreach ($folder in '.local/share', '.config', '.cache') { New-Item -ItemType Directory "$Work/home/$folder" | Out-Null }
    function Invoke-AsNewUser([scriptblock] $Script, [object[]] $Arguments) {
        $saved = @{}
        foreach ($name in $UserEnvironment.Keys) {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $UserEnvironment[$name])
        }
        try {
            $pwsh = Join-Path $PSHOME 'pwsh'
            $output = & $pwsh -NoProfile -NonInteractive -WorkingDirectory $env:HOME -Command $Script -args $Arguments 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "pwsh exited with $LASTEXITCODE`n$output" }
            $output
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
    }
}

AfterAll {
    Remove-DrSandbox -All -Path "$Work/sandboxes" -Confirm:$false -WarningAction SilentlyContinue
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The DrTools module from a PowerShell repository' {
    BeforeAll {
        $Sandbox = New-DrSandbox -Standbys 1 -Path "$Work/sandboxes" -Confirm:$false
        New-Item -ItemType Directory "$Work/feed" | Out-Null
    }

    It 'is published to a file repository, installed into an empty module path, and runs in a new process' {
        $install = Invoke-AsNewUser -Arguments (Split-Path $ModuleManifest), "$Work/feed" -Script {
            param($Module, $Feed)
            $ErrorActionPreference = 'Stop'
            if (Get-Module -ListAvailable DrTools) { throw 'DrTools is already on the module path' }
            Register-PSResourceRepository -Name DrToolsLocal -Uri $Feed -Trusted
            Publish-PSResource -Path $Module -Repository DrToolsLocal
            $found = Find-PSResource DrTools -Repository DrToolsLocal
            Install-PSResource DrTools -Repository DrToolsLocal -Scope CurrentUser
            "found $($found.Name) $($found.Version) tags $($found.Tags -join ',')"
        }
        $install | Should -Match "found DrTools $([regex]::Escape($Version)) tags .*PostgreSQL"
        Get-ChildItem "$Work/feed" -Name | Should -Be "DrTools.$Version.nupkg"
        $installed = "$Work/home/.local/share/powershell/Modules/DrTools/$Version"
        $expected = 'DrTools.psd1', 'DrTools.Format.ps1xml', 'en-US/DrTools.PowerShell.dll-Help.xml', 'dependencies/DrTools.Core.dll'
        foreach ($file in $expected) {
            Join-Path $installed $file | Should -Exist
        }

        $status = Invoke-AsNewUser -Arguments "$Work/sandboxes", $Sandbox.Id -Script {
            param($SandboxRoot, $Id)
            $ErrorActionPreference = 'Stop'
            Import-Module DrTools
            $status = Get-DrSandbox -Id $Id -Path $SandboxRoot | Get-DbClusterStatus
            @{
                ModuleBase = (Get-Module DrTools).ModuleBase; Healthy = $status.Healthy; Verdict = $status.Verdict
                Synopsis = (Get-Help Get-DbClusterStatus).Synopsis; View = ($status | Out-String -Width 200)
            } | ConvertTo-Json -Compress
        } | ConvertFrom-Json
        $status.ModuleBase | Should -Be $installed
        $status.Healthy | Should -BeTrue -Because $status.Verdict
        $status.Verdict | Should -BeLike 'healthy: primary node0 *'
        $status.Synopsis | Should -Not -BeLike 'Get-DbClusterStatus*[[]*' -Because 'the MAML help is installed, not a generated syntax line'
        $status.View | Should -Match 'node1' -Because 'the format file shows the members'
    }
}

Describe 'The drtools dotnet tool package' {
    It 'installs with dotnet tool install from a local folder and prints its version' {
        $package = Join-Path $Packages "DrTools.Cli.$Version.nupkg"
        $package | Should -Exist -Because 'build.ps1 -Task Publish writes it'
        # Only the local folder as a source, and a NuGet cache of its own: nothing stale or from elsewhere is installed.
        Set-Content "$Work/nuget.config" '<configuration><packageSources><clear /></packageSources></configuration>'
        $saved = $env:NUGET_PACKAGES
        $env:NUGET_PACKAGES = "$Work/nuget"
        try {
            $output = dotnet tool install DrTools.Cli --version $Version --tool-path "$Work/tools" --configfile "$Work/nuget.config" `
                --add-source $Packages 2>&1
        }
        finally { $env:NUGET_PACKAGES = $saved }
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        $printed = & "$Work/tools/drtools" --version
        $LASTEXITCODE | Should -Be 0
        $printed | Should -Match "^$([regex]::Escape($Version))(\+|$)"
    }
}
