package outbox

import (
	"os"
	"strconv"
	"strings"
)

// processIdentity names process pid uniquely on this machine for as long as
// it runs: the boot, the PID namespace and the process's start time (field
// 22 of /proc/PID/stat), so that a PID reused by a later process does not
// match. It is "" when the process does not exist.
func processIdentity(pid int) string {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	end := strings.LastIndexByte(string(stat), ')')
	if end < 0 {
		return ""
	}
	fields := strings.Fields(string(stat[end+1:]))
	const startTime = 22 - 3 // fields after the name start at field 3
	if len(fields) <= startTime {
		return ""
	}
	return machineScope() + "/" + fields[startTime]
}

// machineScope is the boot and PID namespace of this process: PIDs are
// comparable only within it.
func machineScope() string {
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	ns, _ := os.Readlink("/proc/self/ns/pid")
	return strings.TrimSpace(string(boot)) + "/" + ns
}

// comparable reports whether two identities come from the same boot and
// PID namespace, so that one process can check the other's PID directly.
func comparable(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a[:strings.LastIndexByte(a, '/')] == b[:strings.LastIndexByte(b, '/')]
}
