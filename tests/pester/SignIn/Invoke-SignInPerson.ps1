# Plays the person at the browser: follows the authorization address, signs in, answers the consent, lets the redirect reach the loopback listener.
param([Parameter(Mandatory)] [string] $Address)
$ErrorActionPreference = 'Stop'
$user = if ($env:PERSON_USER) { $env:PERSON_USER } else { 'alice' }
$decision = if ($env:PERSON_DECISION) { $env:PERSON_DECISION } else { 'allow' }
$origin = ([uri] $Address).GetLeftPart('Authority')
$page = Invoke-WebRequest -Uri $Address -UseBasicParsing
$request = [regex]::Match($page.Content, 'name="request" value="([^"]+)"').Groups[1].Value
$null = Invoke-WebRequest -Uri "$origin/people/authorize" -Method Post -Body @{ request = $request; username = $user; password = "$user-password" } -UseBasicParsing
$consent = Invoke-WebRequest -Uri "$origin/people/consent" -Method Post -Body @{ request = $request; decision = $decision } -MaximumRedirection 0 -SkipHttpErrorCheck -ErrorAction Ignore -UseBasicParsing
$location = [string] $consent.Headers.Location
if ($env:PERSON_TAMPER_STATE) { $location = $location -replace 'state=[^&]+', 'state=forged' }
if ($env:PERSON_LOG) { Add-Content -Path $env:PERSON_LOG -Value $location }
$null = Invoke-WebRequest -Uri $location -UseBasicParsing -SkipHttpErrorCheck
