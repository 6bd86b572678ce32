# Shipping as a Gallery module: the package installs with its dependency, the manifest is complete, the scripts are
# lint-clean, the help markdown matches the cmdlets, the pipeline examples run, and the session view works.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TokenAuth.TestSupport.psm1') -Force
    $script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

    # The federated client trusts the emulated GitHub Actions job: the package test authenticates with -ClientId and -ClientAssertion.
    $script:Session = Enter-TokenAuthTestSession -VaultPath (Join-Path $TestDrive 'vault.json') `
        -EmulatorArgumentList '--federated-credential', 'demo-federated-client=repo:tokenauth/emulator:ref:refs/heads/main'
    $script:Emulator = $Session.Emulator
    $script:Manifest = $Session.Manifest
    $script:Credentials = $Session.Credentials

    function Base([string] $Provider) { Get-TokenAuthEmulatorBaseUri -Emulator $script:Emulator -Provider $Provider }
}

AfterAll {
    Exit-TokenAuthTestSession -Session $Session
}

Describe 'The package' -Skip:(-not (Get-Module -ListAvailable Microsoft.PowerShell.PSResourceGet)) {
    BeforeAll {
        $script:Packages = Join-Path $TestDrive 'packages'
        $output = Invoke-TokenAuthFreshPwsh "& '$Root/build.ps1' Package -NoBuild -PackagePath '$Packages'; exit `$LASTEXITCODE"
        $script:PackageOutput = $output -join "`n"
        $script:Package = Get-ChildItem $Packages -Filter 'TokenAuth.*.nupkg' | Select-Object -First 1

        # A NuGet v3 feed on loopback, as static files: the service index, each package's registration and the packages.
        # What a feed (the PowerShell Gallery, a NuGet server) tells Install-PSResource a package depends on comes from
        # its .nuspec; only a folder repository reads the module manifest instead.
        function Open-NuGetFeed([string] $Folder, [string[]] $Package) {
            Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
            $uri = "http://127.0.0.1:$(Get-TokenAuthFreePort)/"
            $null = New-Item -ItemType Directory -Path $Folder -Force
            @{ version = '3.0.0'; resources = @(
                    @{ '@id' = "${uri}registration/"; '@type' = 'RegistrationsBaseUrl/3.6.0' }
                    @{ '@id' = "${uri}flatcontainer/"; '@type' = 'PackageBaseAddress/3.0.0' }
                ) } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $Folder 'index.json')
            foreach ($path in $Package) {
                $zip = [System.IO.Compression.ZipFile]::OpenRead($path)
                try {
                    $reader = [System.IO.StreamReader]::new(($zip.Entries | Where-Object FullName -Like '*.nuspec').Open())
                    try { $metadata = ([xml] $reader.ReadToEnd()).package.metadata } finally { $reader.Dispose() }
                }
                finally { $zip.Dispose() }
                $id = $metadata.id.ToLowerInvariant()
                $version = $metadata.version
                $dependencies = @($metadata['dependencies'].dependency | Where-Object { $_ } | ForEach-Object { @{ id = $_.id; range = "[$($_.version), )" } })
                $entry = @{ id = $metadata.id; version = $version; tags = @($metadata.tags -split ' '); description = $metadata.description
                    authors = $metadata.authors; dependencyGroups = @(@{ dependencies = $dependencies }) }
                $page = @{ '@id' = "${uri}registration/$id/index.json#page"; count = 1; lower = $version; upper = $version
                    items = @(@{ '@id' = "${uri}registration/$id/$version.json"; catalogEntry = $entry; packageContent = "${uri}flatcontainer/$id/$version/$id.$version.nupkg" })
                }
                $null = New-Item -ItemType Directory -Path (Join-Path $Folder "registration/$id"), (Join-Path $Folder "flatcontainer/$id/$version") -Force
                @{ count = 1; items = @($page) } | ConvertTo-Json -Depth 10 | Set-Content (Join-Path $Folder "registration/$id/index.json")
                Copy-Item $path (Join-Path $Folder "flatcontainer/$id/$version/$id.$version.nupkg")
            }
            $listener = [System.Net.HttpListener]::new()
            $listener.Prefixes.Add($uri)
            $listener.Start()
            $shell = [powershell]::Create()
            $null = $shell.AddScript({
                    param ($listener, $folder)
                    while ($listener.IsListening) {
                        try { $context = $listener.GetContext() } catch { break }
                        $file = Join-Path $folder $context.Request.Url.AbsolutePath.TrimStart('/')
                        if (Test-Path $file -PathType Leaf) {
                            $bytes = [System.IO.File]::ReadAllBytes($file)
                            $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
                        }
                        else { $context.Response.StatusCode = 404 }
                        $context.Response.Close()
                    }
                }).AddArgument($listener).AddArgument($Folder)
            $null = $shell.BeginInvoke()
            [pscustomobject]@{ Uri = "${uri}index.json"; Listener = $listener; Shell = $shell }
        }
    }

    It 'is out/TokenAuth.(version).nupkg holding exactly the module folder' {
        $Package.Name | Should -Be "TokenAuth.$((Test-ModuleManifest $Manifest).Version).nupkg" -Because $PackageOutput
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package.FullName)
        try { $entries = $zip.Entries.FullName } finally { $zip.Dispose() }
        $moduleFiles = Get-ChildItem (Split-Path $Manifest) -Recurse -File | ForEach-Object { [System.IO.Path]::GetRelativePath((Split-Path $Manifest), $_.FullName).Replace('\', '/') }

        foreach ($file in $moduleFiles) { $entries | Should -Contain $file }
        $entries | Where-Object { $_ -notmatch '^(_rels/|package/|\[Content_Types\]\.xml$|TokenAuth\.nuspec$)' -and $_ -notin $moduleFiles } | Should -BeNullOrEmpty
    }

    It 'installs with Install-PSResource from a feed, bringing SecretManagement, which TokenAuth loads only when a vault is first read' {
        $secretManagement = (Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement | Sort-Object Version -Descending | Select-Object -First 1).ModuleBase
        $dependencies = Join-Path $TestDrive 'dependencies-packages'
        $null = New-Item -ItemType Directory $dependencies -Force
        Compress-PSResource -Path $secretManagement -DestinationPath $dependencies
        $feed = Open-NuGetFeed -Folder (Join-Path $TestDrive 'feed') -Package (Get-ChildItem $dependencies -Filter *.nupkg).FullName, $Package.FullName
        $userModules = Join-Path $TestDrive 'install-home/.local/share/powershell/Modules'
        $loaded = "'SecretManagement loaded: ' + [bool] (Get-Module Microsoft.PowerShell.SecretManagement)"
        $apimw = Get-TokenAuthCredentialScript $Credentials.apimw
        $script = "Register-PSResourceRepository -Name TokenAuthTest -Uri '$($feed.Uri)' -Trusted; " +
            "Install-PSResource -Name TokenAuth -Repository TokenAuthTest -Scope CurrentUser -TrustRepository; " +
            "(Get-ChildItem '$userModules' -Directory).Name -join ','; " +
            "Import-Module TokenAuth -ErrorAction Stop; (Get-Module TokenAuth).ModuleBase; $loaded; " +
            "`$apimw = $apimw; (Invoke-AuthenticatedRequest APIMW -BaseUri '$(Base APIMW)' -Uri resources/sample -Credential `$apimw -ErrorAction Stop).GetType().Name; " +
            "`$null = Register-TokenAuthProvider '$Root/examples/oauth2-federated.json' -WarningAction SilentlyContinue; " +
            "(Get-ProviderToken ExampleOAuth2Federated -BaseUri '$($Emulator.Root)' -ClientId demo-federated-client -ClientAssertion GitHubActions:api://AzureADTokenExchange -ErrorAction Stop).Provider; " +
            "$loaded; " +
            "Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' -ErrorAction SilentlyContinue -ErrorVariable vault; `$vault[0].FullyQualifiedErrorId; $loaded"
        # An empty user module path: only PowerShell's own modules, and nothing of this repository.
        try {
            $output = Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive 'install-home') -WithoutBuiltModule -Environment @{
                PSModulePath                   = Join-Path $PSHOME 'Modules'
                ACTIONS_ID_TOKEN_REQUEST_URL   = "$($Emulator.Root)github-actions/idtoken?api-version=2.0"
                ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'emulator-actions-id-token-request-token'
            }
        }
        finally {
            $feed.Listener.Close()
            $feed.Shell.Dispose()
        }

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output[-8] | Should -Be 'Microsoft.PowerShell.SecretManagement,TokenAuth' -Because ($output -join "`n")
        $output[-7] | Should -BeLike "$userModules*"
        $output[-6] | Should -Be 'SecretManagement loaded: False' -Because 'importing TokenAuth imports no vault module'
        $output[-5], $output[-4] | Should -Be 'PSCustomObject', 'ExampleOAuth2Federated'
        $output[-3] | Should -Be 'SecretManagement loaded: False' -Because 'a call with -Credential, or -ClientId and -ClientAssertion, reads no vault'
        # The isolated home has no vault registered: the call gets as far as asking SecretManagement for one.
        $output[-2] | Should -Be 'SecretVaultNotFound,TokenAuth.Commands.GetProviderTokenCommand'
        $output[-1] | Should -Be 'SecretManagement loaded: True'
    }

    It 'carries a manifest that Test-ModuleManifest passes, with the Gallery''s fields and this version''s release notes' {
        $unpacked = Join-Path $TestDrive 'unpacked'
        Expand-Archive $Package.FullName -DestinationPath $unpacked
        $info = Test-ModuleManifest (Join-Path $unpacked 'TokenAuth.psd1') -ErrorAction Stop
        $changelog = Get-Content (Join-Path $Root 'CHANGELOG.md') -Raw

        $info.ProjectUri | Should -Not -BeNullOrEmpty
        $info.LicenseUri | Should -Not -BeNullOrEmpty
        $info.Tags | Should -Contain 'PSEdition_Core'
        $info.RequiredModules | Should -BeNullOrEmpty -Because 'SecretManagement is imported when a vault is first read, and is the package''s dependency instead'
        $info.ReleaseNotes | Should -Match 'FollowRelLink'
        $changelog | Should -Match ([regex]::Escape("## $($info.Version)"))
        Test-Path (Join-Path $Root 'LICENSE') | Should -BeTrue
    }
}

Describe 'From a clone' {
    It 'imports ./TokenAuth.psd1 at the repository root once built' {
        $output = Invoke-TokenAuthFreshPwsh "Set-Location '$Root'; Import-Module ./TokenAuth.psd1 -ErrorAction Stop; (Get-Command -Module TokenAuth).Count; (Get-TokenAuthProvider APIMW | Out-String) -match 'APIMW'" -WithoutBuiltModule

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Be @('10', 'True')
    }

    It 'the built manifest passes Test-ModuleManifest' {
        $info = Test-ModuleManifest $Manifest -ErrorAction Stop
        $info.ExportedCmdlets.Count | Should -Be 10
    }

    It 'imports the cmdlet assembly built for PowerShell 7 as the root module, with no script module between' {
        $output = Invoke-TokenAuthFreshPwsh "Import-Module TokenAuth -ErrorAction Stop; `$module = Get-Module TokenAuth; `$module.ModuleType; [System.IO.Path]::GetRelativePath(`$module.ModuleBase, `$module.Path).Replace('\', '/'); (Test-ModuleManifest (Join-Path `$module.ModuleBase TokenAuth.psd1)).PowerShellVersion.ToString(2)"

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Be @('Binary', 'bin/net8.0/TokenAuth.PowerShell.dll', '7.4')
        Get-ChildItem (Split-Path $Manifest) -Filter *.psm1 -Recurse | Should -BeNullOrEmpty
    }

    It 'warms its engine up at import with nothing printed, cached or loaded, in a pipeline too' {
        # The warm-up's made-up token passes no masking command to the pipeline's log, and no session cache holds it.
        $script = "Import-Module TokenAuth -ErrorAction Stop; Start-Sleep -Milliseconds 1500; (Get-ProviderTokenCache | Measure-Object).Count; [bool](Get-Module Microsoft.PowerShell.SecretManagement)"

        $output = Invoke-TokenAuthFreshPwsh $script -Environment @{ TF_BUILD = 'True'; GITHUB_ACTIONS = 'true' }

        $output | Should -Be @('0', 'False')
    }
}

Describe 'Without SecretManagement' {
    It 'imports and authenticates without a vault, and names what to install when a vault is first needed' {
        $empty = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'no-modules') -Force
        $apimw = Get-TokenAuthCredentialScript $Credentials.apimw
        # No module path but an empty folder: SecretManagement cannot be found, though it is installed here.
        $script = "`$env:PSModulePath = '$empty'; Import-Module '$Manifest' -ErrorAction Stop; `$apimw = $apimw; " +
            "(Invoke-AuthenticatedRequest APIMW -BaseUri '$(Base APIMW)' -Uri resources/sample -Credential `$apimw -ErrorAction Stop).GetType().Name; " +
            "try { Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' } catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category; `"`$_`" }"

        $output = Invoke-TokenAuthFreshPwsh $script -WithoutBuiltModule

        $output[-4] | Should -Be 'PSCustomObject' -Because ($output -join "`n")
        $output[-3] | Should -Be 'SecretManagementNotInstalled,TokenAuth.Commands.GetProviderTokenCommand'
        $output[-2] | Should -Be 'NotInstalled'
        $output[-1] | Should -BeLike "Microsoft.PowerShell.SecretManagement is not installed (Microsoft's, version 1.1.0 or later), so the secret 'TokenAuth.APIMW' cannot be read from a vault: Install-PSResource Microsoft.PowerShell.SecretManagement *"
    }

    It 'asks no other module of that name for a secret: found first on PSModulePath, or already loaded' {
        # An impostor earlier on PSModulePath, newer by version: it records every secret it is asked for.
        $impostor = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'impostor/Microsoft.PowerShell.SecretManagement') -Force
        $asked = Join-Path $TestDrive 'impostor-asked.txt'
        Set-Content (Join-Path $impostor 'Microsoft.PowerShell.SecretManagement.psm1') "function Get-Secret { param (`$Name, `$Vault, [switch] `$AsPlainText) Add-Content '$asked' `$Name }; function Get-SecretVault { 'impostor' }"
        New-ModuleManifest -Path (Join-Path $impostor 'Microsoft.PowerShell.SecretManagement.psd1') -RootModule 'Microsoft.PowerShell.SecretManagement.psm1' `
            -ModuleVersion 9.9.9 -Guid ([Guid]::NewGuid()) -FunctionsToExport Get-Secret, Get-SecretVault
        $modulePath = (Split-Path $impostor) + [IO.Path]::PathSeparator + $env:PSModulePath
        $read = "try { `$null = Get-ProviderToken APIMW -BaseUri '$(Base APIMW)' -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `"`$_`" }"
        $script = "Import-Module '$Manifest' -ErrorAction Stop; $read; (Get-Module Microsoft.PowerShell.SecretManagement).Guid.ToString(); " +
            "Remove-Module Microsoft.PowerShell.SecretManagement; Import-Module '$(Join-Path $impostor 'Microsoft.PowerShell.SecretManagement.psd1')'; $read"

        $output = @(Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive 'impostor-home') -Environment @{ PSModulePath = $modulePath } | Where-Object { $_ })

        $output | Should -Contain 'a5c858f6-4a8e-41f1-b1ee-0ff8f6ad69d3' -Because "Microsoft's module is imported though the impostor comes first ($($output -join "`n"))"
        $output[-2] | Should -Be 'SecretVaultFailed,TokenAuth.Commands.GetProviderTokenCommand'
        $output[-1] | Should -BeLike "The module loaded as Microsoft.PowerShell.SecretManagement is not Microsoft's (GUID a5c858f6-4a8e-41f1-b1ee-0ff8f6ad69d3, version 1.1.0 or later)*"
        $asked | Should -Not -Exist
    }
}

Describe 'Dependencies for a machine with only the .NET SDK' {
    # The pinned .NET tool carries no Pester or Secret modules; PowerShells that carry them in their own folder have nothing to install.
    It 'build.ps1 Dependencies installs Pester and the Secret modules from the repository TOKENAUTH_PSREPOSITORY names' -Skip:(
        -not (Get-Command Compress-PSResource -ErrorAction Ignore) -or (Test-Path (Join-Path $PSHOME 'Modules/Microsoft.PowerShell.SecretManagement'))) {
        $repository = Join-Path $TestDrive 'dependencies'
        $null = New-Item -ItemType Directory $repository -Force
        foreach ($name in 'Microsoft.PowerShell.SecretManagement', 'Microsoft.PowerShell.SecretStore', 'Pester') {
            $source = (Get-Module -ListAvailable $name | Sort-Object Version -Descending | Select-Object -First 1).ModuleBase
            Compress-PSResource -Path $source -DestinationPath $repository
        }
        $sdkHome = Join-Path $TestDrive 'sdk-only-home'
        $userModules = Join-Path $sdkHome '.local/share/powershell/Modules'
        $script = "& '$(Join-Path $Root 'build.ps1')' Dependencies; (Get-ChildItem '$userModules' -Directory).Name -join ','; " +
            "'still registered: ' + [bool] (Get-PSResourceRepository -Name TokenAuthDependencies -ErrorAction Ignore)"

        $output = Invoke-TokenAuthFreshPwsh $script -IsolatedHome $sdkHome -WithoutBuiltModule `
            -Environment @{ PSModulePath = Join-Path $PSHOME 'Modules'; TOKENAUTH_PSREPOSITORY = $repository }

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        # Install warnings (stderr) may come after the listing (stdout).
        $output | Should -Contain 'Microsoft.PowerShell.SecretManagement,Microsoft.PowerShell.SecretStore,Pester'
        $output -match 'from TokenAuthDependencies' | Should -HaveCount 3
        $output | Should -Contain 'still registered: False' -Because 'a folder named in an environment variable is trusted only while it is used'
    }
}

Describe 'Lint' -Skip:(-not (Get-Module -ListAvailable PSScriptAnalyzer)) -Tag Lint {
    BeforeAll {
        # PowerShell run as a .NET tool lacks Microsoft.Management.Infrastructure, which the analyzer's rules load.
        $script:AnalyzerFailure = try { $null = Invoke-ScriptAnalyzer -ScriptDefinition '$x = 1' -ErrorAction Stop } catch { $_.Exception.GetBaseException().Message }
    }

    It 'PSScriptAnalyzer finds nothing in the repository''s scripts, with the repository''s settings' {
        if ($AnalyzerFailure) { Set-ItResult -Skipped -Because "PSScriptAnalyzer cannot run in this PowerShell ($AnalyzerFailure); another run lints"; return }
        $files = Get-ChildItem $Root -Recurse -Include '*.ps1', '*.psm1', '*.psd1' -File | Where-Object FullName -NotMatch '[\\/](out|bin|obj)[\\/]'
        $settings = Join-Path $Root 'PSScriptAnalyzerSettings.psd1'
        $findings = foreach ($file in $files) {
            # PSScriptAnalyzer 1.25 now and then fails a file with a NullReferenceException of its own; a second run passes.
            try { Invoke-ScriptAnalyzer -Path $file.FullName -Settings $settings -ErrorAction Stop }
            catch { Invoke-ScriptAnalyzer -Path $file.FullName -Settings $settings -ErrorAction Stop }
        }

        ($findings | ForEach-Object { "$($_.ScriptName):$($_.Line) $($_.RuleName): $($_.Message)" }) -join "`n" | Should -BeNullOrEmpty
        @($files).Count | Should -BeGreaterThan 10
    }
}

Describe 'Help markdown' -Skip:(-not (Get-Module -ListAvailable platyPS)) {
    It 'has every parameter every cmdlet has: Update-MarkdownHelp changes nothing' {
        $copy = Join-Path $TestDrive 'cmdlets'
        Copy-Item (Join-Path $Root 'docs/cmdlets') $copy -Recurse
        $null = Update-MarkdownHelp -Path $copy -AlphabeticParamsOrder

        foreach ($file in Get-ChildItem $copy -Filter *.md) {
            ((Get-Content $file.FullName -Raw) -replace "`r") | Should -BeExactly (Get-Content (Join-Path $Root "docs/cmdlets/$($file.Name)") -Raw) -Because "$($file.Name) must match the cmdlet"
        }
        @(Get-ChildItem $copy -Filter *.md).Count | Should -Be 10
    }
}

Describe 'Pipeline examples' {
    BeforeAll {
        $script:Examples = Join-Path $Root 'examples'
        $script:Apimw = $Credentials.apimw
    }

    It '<_> runs only scripts that are in examples/' -ForEach 'azure-pipelines.yml', 'github-actions.yml' {
        $yaml = Get-Content (Join-Path $Examples $_) -Raw
        $scripts = [regex]::Matches($yaml, 'examples/([\w.-]+\.ps1)') | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique

        $scripts | Should -Be @('Initialize-TokenAuthVault.ps1', 'Invoke-NightlySync.ps1')
        foreach ($script in $scripts) { Test-Path (Join-Path $Examples $script) | Should -BeTrue }
        $yaml | Should -Match 'TOKENAUTH_API_KEY'
    }

    It 'stores the credential and syncs every page in <Name>, masking the secrets and printing no secret or token' -ForEach @(
        @{ Name = 'Azure DevOps'; Variable = 'TF_BUILD'; Mask = '##vso[task.setsecret]' }
        @{ Name = 'GitHub Actions'; Variable = 'GITHUB_ACTIONS'; Mask = '::add-mask::' }
    ) {
        $output = Join-Path $TestDrive "$Variable.jsonl"
        $script = "& '$Examples/Initialize-TokenAuthVault.ps1' -Provider APIMW -ResetSecretStore; " +
            "& '$Examples/Invoke-NightlySync.ps1' -Provider APIMW -BaseUri '$(Base APIMW)' -Uri 'resources/pages/link?pages=3&size=4' -OutputPath '$output'; exit `$LASTEXITCODE"
        $lines = Invoke-TokenAuthFreshPwsh $script -IsolatedHome (Join-Path $TestDrive "$Variable-home") -Environment @{
            $Variable = 'true'; TOKENAUTH_API_KEY = $Apimw.apiKey; TOKENAUTH_API_SECRET = $Apimw.apiSecret
        }

        $LASTEXITCODE | Should -Be 0 -Because ($lines -join "`n")
        (Get-Content $output | ConvertFrom-Json).id | Should -Be (1..12)
        $lines[0..1] | Should -Be @("$Mask$($Apimw.apiKey)", "$Mask$($Apimw.apiSecret)")
        $lines | Should -Contain "Synced 12 items from APIMW resources/pages/link?pages=3&size=4 to $output."
        foreach ($line in $lines | Select-Object -Skip 2) {
            $line | Should -Not -Match ([regex]::Escape($Apimw.apiSecret))
            $line | Should -Not -Match 'eyJ[\w-]{10,}\.|Bearer \S' -Because 'no token may be printed'
        }
    }

    It 'the nightly sync stops at the first error with exit code 1, leaving no partial file' {
        $output = Join-Path $TestDrive 'failed.jsonl'
        Add-TokenAuthEmulatorFault -Emulator $Emulator -Provider APIMW -Endpoint pages -StatusCode 404 -Times 1
        $credential = Get-TokenAuthCredentialScript $Apimw
        $script = "`$PSDefaultParameterValues['Invoke-AuthenticatedRequest:Credential'] = $credential; " +
            "& '$Examples/Invoke-NightlySync.ps1' -Provider APIMW -BaseUri '$(Base APIMW)' -Uri 'resources/pages/link?pages=3&size=4' -OutputPath '$output'; exit `$LASTEXITCODE"
        $lines = Invoke-TokenAuthFreshPwsh $script

        $LASTEXITCODE | Should -Be 1
        ($lines -join "`n") | Should -Match 'The sync stopped after 0 items'
        ($lines -join "`n") | Should -Match 'HTTP 404'
        Test-Path $output | Should -BeFalse
        Test-Path "$output.partial" | Should -BeFalse
    }
}

Describe 'Get-ProviderTokenCache' {
    BeforeEach { Revoke-ProviderToken -All -Confirm:$false | Out-Null }

    It 'lists the session''s tokens with what an admin needs, and never a token' {
        $apimw = Get-ProviderToken APIMW -BaseUri (Base APIMW) -Scope 'payments:read'
        $null = Get-ProviderToken Akiba -BaseUri (Base Akiba)
        $plain = Get-ProviderToken APIMW -BaseUri (Base APIMW) -Scope 'payments:read' -AsPlainText

        $cache = Get-ProviderTokenCache

        $cache.Provider | Should -Be @('Akiba', 'APIMW')
        $entry = $cache | Where-Object Provider -EQ APIMW
        $entry.Identity | Should -Be 'ak_d***'
        $entry.BaseUri | Should -Be $apimw.BaseUri
        $entry.ExpiresOn | Should -Be $apimw.ExpiresOn
        $entry.TimeLeft | Should -BeGreaterThan ([TimeSpan]::FromMinutes(1))
        $entry.RenewsWith | Should -Be 'RefreshToken'
        ($cache | Where-Object Provider -EQ Akiba).RenewsWith | Should -Be 'Credential'
        $entry.PSObject.Properties.Name | Should -Not -Contain 'Token'
        foreach ($view in ($cache | Format-Table | Out-String), ($cache | Format-List * | Out-String), ($cache | ConvertTo-Json)) {
            $view | Should -Not -Match ([regex]::Escape($plain))
        }
        (Get-ProviderTokenCache -Provider 'Ak*').Provider | Should -Be 'Akiba'
    }

    It 'pipes into Revoke-ProviderToken, which revokes those tokens' {
        $null = Get-ProviderToken APIMW -BaseUri (Base APIMW)
        $null = Get-ProviderToken Kitegateway -BaseUri (Base Kitegateway)
        Reset-TokenAuthEmulator -Emulator $Emulator

        $results = Get-ProviderTokenCache -Provider APIMW | Revoke-ProviderToken -Confirm:$false

        $results.ProviderNotified | Should -BeTrue
        # The token and its refresh token, each in a call of its own.
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/revoke' | Should -Be 2
        Get-TokenAuthEmulatorCounter -Emulator $Emulator -Key 'apimw/refresh-revoked' | Should -Be 1
        (Get-ProviderTokenCache).Provider | Should -Be 'Kitegateway'
        Get-ProviderTokenCache | Revoke-ProviderToken -WhatIf
        (Get-ProviderTokenCache).Provider | Should -Be 'Kitegateway'
    }
}
