"""Small hand-written deliveries for the ingest tests (no generator needed)."""

from __future__ import annotations

from pathlib import Path

from core.uid import verhoeff_check_digit


def uid(payload11: str) -> str:
    """A valid UID from 11 digits (first digit 2-9)."""
    return payload11 + str(verhoeff_check_digit(payload11))


def bad_uid(payload11: str) -> str:
    good = uid(payload11)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


U1, U2, U3, U4 = uid("23456789012"), uid("34567890123"), uid("45678901234"), uid("56789012345")
BAD = bad_uid("67890123456")

LGD = """village_code,village_name,block_name,district_name,pincode,latitude,longitude
1001,Arang,Arang,Raipur,492001,21.19,81.97
1002,Gunderdehi,Gunderdehi,Balod,491223,20.94,81.28
1003,Kurud,Kurud,Dhamtari,493663,20.83,81.72
1004,Dondi,Dondi Lohara,Balod,491771,20.6,81.0
1005,Bhilai,Durg,Durg,490001,21.2,81.3
"""

KYR_HEADER = "uid,name,gender,dob,co,vtc,subdist,dist,state,phone,photo_file,last_updated,action"


def kyr_full() -> str:
    return "\n".join([
        KYR_HEADER,
        f"{U1[:4]} {U1[4:8]} {U1[8:]},Smt. Laxmi  Devi,F,12-03-1980,W/O: Shyam Lal,Arang,Arang,"
        "Raipur,Chhattisgarh,+91 98765 43210,p1.jpg,2024-01-01T10:00:00,",
        f"{U2},Shri Ramesh Kumar Verma,M,1975,S/O Suresh,Gunderdehi,Gunderdehi,Durg,Chhattisgarh,"
        "09876543211,,2024-01-01T10:00:00,A",
        f"{BAD},Bad Uid,M,01-01-1990,,Kurud,Kurud,Dhamtari,Chhattisgarh,,,2024-01-01T10:00:00,A",
        f"{U3},Bad Date,M,31-02-1980,,Kurud,Kurud,Dhamtari,Chhattisgarh,,,2024-01-01T10:00:00,A",
        f"{U4},Future Born,F,01-01-2999,,Kurud,Kurud,Dhamtari,Chhattisgarh,,,2024-01-01T10:00:00,A",
    ]) + "\n"


def kyr_delta() -> str:
    return "\n".join([
        KYR_HEADER,
        f"{U1},Laxmi Devi,F,12-03-1980,W/O Shyam Lal,Kurud,Kurud,Dhamtari,Chhattisgarh,,,"
        "2024-02-01T10:00:00,U",
        f"{U2},Ramesh Kumar Verma,M,1975,,Gunderdehi,Gunderdehi,Durg,Chhattisgarh,,,"
        "2024-02-01T09:00:00,D",
        # an older version delivered late: must not win over the February one
        f"{U1},Laxmi Old,F,12-03-1980,,Arang,Arang,Raipur,Chhattisgarh,,,2023-12-01T10:00:00,U",
    ]) + "\n"


PDS_HEADER = ("ration_card_no,card_type,member_id,member_name,relation_with_hof,gender,age,"
              "aadhaar_no,mobile_no,district_name,block_name,village_ward")


def pds() -> str:
    return "\n".join([
        PDS_HEADER,
        f"RC1,AAY,M1,Lakshmi Devee,SELF,Female,44,{U1},9876543210,raipur ,ARANG,Arang",
        "RC1,XYZ,M2,Syam Lal,HUSBAND,Male,50,,,Raipur,Arang,Arang",
        "RC2,PHH,M3,Ku. Sita,DAUGHTER,Female,12,,,Durg,Dondi-Lohara,Dondi",
        f"RC2,PHH,M4,Gita Bai,WIFE,Female,40,{BAD},,Durg,Dondi-Lohara,Dondi",
        "RC2,PHH,M5,,SON,Male,15,,,Durg,Dondi-Lohara,Dondi",
    ]) + "\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def small_landing(root: Path) -> Path:
    landing = root / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    write(landing / "uid_kyr" / "2024-01-05" / "kyr.csv", kyr_full())
    write(landing / "uid_kyr" / "2024-01-05" / "photos" / "p1.jpg", b"\xff\xd8fake-jpeg\xff\xd9")
    write(landing / "food_pds" / "2024-01-15" / "pds.csv", pds())
    return landing
