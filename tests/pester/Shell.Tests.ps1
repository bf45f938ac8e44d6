#Requires -Version 7.6
# The module as a newcomer meets it in the shell: what Get-DrSandbox lists pipes into every cmdlet that takes a
# target, tab completion works in the pipeline form the help shows, and figures are shown with their units.

BeforeDiscovery {
    # Each cmdlet that takes a sandbox from the pipeline, with arguments that make it quick and change nothing.
    $BindCases = @(
        @{ Name = 'Get-DbClusterStatus'; Arguments = @{}; Check = { param($out) $out.Healthy | Should -BeTrue } }
        @{ Name = 'Test-ReplicationLag'; Arguments = @{ MaxLagBytes = 100MB; Quiet = $true }; Check = { param($out) $out | Should -BeExactly $true } }
        @{ Name = 'Invoke-DbFailover'; Arguments = @{ WhatIf = $true } }
        @{ Name = 'Get-DbChecksum'; Arguments = @{}; Check = { param($out) "$($out.Member)" | Should -Match 'node0' } }
        @{ Name = 'Compare-DbChecksum'; Arguments = @{ Reference = 'Reference' }; Check = { param($out) "$($out.Current.Member)" | Should -Match 'node0' } }
        @{ Name = 'Invoke-DbQuery'; Arguments = @{ Query = 'select 1'; WhatIf = $true } }
        @{ Name = 'Enable-DbWalArchive'; Arguments = @{ Repository = 'Repository'; WhatIf = $true } }
        @{ Name = 'New-DbBackup'; Arguments = @{ Repository = 'Repository'; WhatIf = $true } }
        @{ Name = 'New-DbRestorePoint'; Arguments = @{ Repository = 'Repository'; Name = 'x'; WhatIf = $true } }
        @{ Name = 'Test-DbBackupPolicy'; Arguments = @{ Repository = 'Repository' } }
        @{ Name = 'Get-DrMetric'; Arguments = @{ NoHistory = $true }; Check = { param($out) $out | Should -Not -BeNullOrEmpty } }
        @{ Name = 'Start-DrFault'; Arguments = @{ Kind = 'Freeze'; Member = 'node1'; WhatIf = $true } }
        @{ Name = 'Test-DrFault'; Arguments = @{}; Check = { param($out) $out | Should -Not -BeNullOrEmpty } }
        @{ Name = 'Test-DrAlertRule'; Arguments = @{} }
        @{ Name = 'Wait-DrAlert'; Arguments = @{ Name = 'InstanceDown'; Within = 1 } }
        @{ Name = 'Remove-DrSandbox'; Arguments = @{ WhatIf = $true } }
    )
}

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1") -Force
    $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-shell-$([guid]::NewGuid().ToString('n'))"
    $SandboxRoot = "$Work/sandboxes"
    $Sandbox = New-DrSandbox -Standbys 1 -Path $SandboxRoot -Confirm:$false
    $Listed = Get-DrSandbox -Path $SandboxRoot | Where-Object Id -EQ $Sandbox.Id
    $Special = @{ Reference = { $Sandbox | Get-DbChecksum }; Repository = { "$Work/repository" } }
}

AfterAll {
    if (Test-Path $SandboxRoot) { Remove-DrSandbox -All -Path $SandboxRoot -Confirm:$false -WarningAction SilentlyContinue }
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Pipeline binding from Get-DrSandbox' {
    It 'lists the sandbox as a listing row, not an opened sandbox (what the cases below pipe)' {
        $Listed.GetType().Name | Should -Be 'SandboxInfo'
    }

    It 'covers every cmdlet that takes a sandbox from the pipeline' -ForEach @{ Covered = $BindCases.Name } {
        $takers = Get-Command -Module DrTools | Where-Object { $_.Parameters['Sandbox'].ParameterSets.Values.ValueFromPipeline -contains $true }
        ($takers.Name | Sort-Object) | Should -Be ($Covered | Sort-Object)
    }

    It '<Name> binds what Get-DrSandbox lists' -ForEach $BindCases {
        $splat = @{ ErrorAction = 'SilentlyContinue'; WarningAction = 'SilentlyContinue' }
        foreach ($key in $Arguments.Keys) { $splat[$key] = $Special[$Arguments[$key]] ? (& $Special[$Arguments[$key]]) : $Arguments[$key] }
        if ($splat.WhatIf) { $splat.Confirm = $false }
        # A pipeline object that does not bind is a non-terminating error; an operation's own may be either.
        $out = try { $Listed | & $Name @splat -ErrorVariable errors } catch { $errors = @($_) }
        $binding = $errors | Where-Object { $_.Exception -is [System.Management.Automation.ParameterBindingException] }
        $binding | Should -BeNullOrEmpty -Because "$binding"
        if ($Check) { & $Check $out }
    }

    It 'refuses a listed folder that is not a cluster sandbox in one line naming it' {
        $foreign = New-Item -ItemType Directory "$SandboxRoot/not-mine"
        $row = Get-DrSandbox -Path $SandboxRoot | Where-Object Id -EQ 'not-mine'
        { $row | Get-DbClusterStatus -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not-mine is not a DrTools sandbox*'
        Remove-Item $foreign
    }
}
