// Package pb holds the generated protocol buffer types of the Exposure
// Notification key export file (export.bin and export.sig). It is generated
// code only; use package exportfile to build, sign, parse and verify files.
package pb

//go:generate ./gen.sh
